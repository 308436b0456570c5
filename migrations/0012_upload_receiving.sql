-- Resumable (tus) uploads are listed from their first byte: an upload is 'receiving' while its
-- bytes arrive, then 'pending' once the file is whole and its import is queued.
alter table upload_jobs drop constraint upload_jobs_status_check;
alter table upload_jobs add constraint upload_jobs_status_check
  check (status in ('receiving', 'pending', 'processing', 'completed', 'failed'));
-- Bytes received so far of a resumable upload (its size is byte_size).
alter table upload_jobs add column bytes_received bigint not null default 0;
