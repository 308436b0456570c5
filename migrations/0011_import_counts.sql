-- What an import changed on the way in, beside what it skipped:
-- names longer than Liner keeps (cut to 1,000 characters; the listen is kept) …
alter table upload_jobs add column names_capped integer not null default 0;
-- … and rows folded into another row of the same upload because they are the same play
-- (extended rows identical in every field; basic rows repeated by another file of the upload).
alter table upload_jobs add column identical_folded integer not null default 0;
