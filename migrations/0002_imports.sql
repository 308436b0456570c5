-- Imports: progress a person can watch while a large upload is read. Entries are only counted as
-- they are parsed, so bytes are what a progress bar can honestly show before the end.
alter table upload_jobs
  add column bytes_total     bigint,
  add column bytes_processed bigint not null default 0;

-- Duplicates that filled in a listen first imported from an account-data export (minute, names
-- only) with what an Extended Streaming History adds: the second, the track URI, the platform.
alter table upload_jobs add column upgraded integer not null default 0;
