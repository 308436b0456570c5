-- Import speed: every index and foreign key on `listens` is paid per row by every import
-- (300,000 rows for a big Extended Streaming History). These earn nothing any more:
-- counts by status come from listen_counts, and retries use listens_recheck_idx …
drop index listens_user_status_idx;
-- … a listen names its upload for provenance only (uploads and listens both go with their person,
-- through user_id), and nothing looks listens up by upload …
alter table listens drop constraint listens_upload_id_fkey;
drop index listens_upload_idx;
-- … and spotify_track_id is only ever written by enrichment after the catalogue upsert of that
-- track, in the same run; tracks are never deleted.
alter table listens drop constraint listens_spotify_track_id_fkey;
