-- Enrichment work state that must outlive any one worker.

-- An item (a track id, or normalised artist + track text) being fetched by a run: another run,
-- for any user, skips it instead of paying for it twice. A crashed worker's claims go stale.
create table enrichment_claims (
  item       text primary key,
  owner      text not null,
  claimed_at timestamptz not null default now()
);

-- Tracks that came from an album's track list carry no ISRC: fetched again, at the lowest priority.
alter table tracks add column needs_detail boolean not null default false;
create index tracks_needs_detail_idx on tracks (id) where needs_detail;

alter table enrichment_runs
  -- Listens resolved for free from the shared catalogue and the lookup cache.
  add column listens_from_catalogue integer not null default 0,
  add column artists_fetched integer not null default 0,
  -- When a rate limit or the quota ended the run: the time it resumes by itself.
  add column resume_at timestamptz;

-- Misses and failures come back after the recheck age: find them without a scan.
create index listens_recheck_idx on listens (user_id, enriched_at)
  where enrichment_status in ('not_found', 'failed');
