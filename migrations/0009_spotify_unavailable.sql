-- Spotify's own trouble (5xx, 408, timeouts, resets, broken bodies) is not an item's fault: the
-- whole app backs off, like after a 429, with waits that grow while it lasts (1, 2, 4, 8, then 15
-- minutes), so an outage of hours costs a few calls an hour. Shared by every worker, per app.
alter table spotify_rate_state
  -- When the current outage began (the first failed call); cleared by the first good answer.
  add column unavailable_since timestamptz,
  -- Failed tries in a row during this outage: the next wait doubles with each.
  add column unavailable_strikes integer not null default 0;

-- A run that such an outage stopped says so: it did not fail, its items stay pending, and it
-- resumes by itself. ('interrupted' is listed so that this constraint keeps the status migration
-- 0008 gives runs a stopped worker left behind.)
alter table enrichment_runs drop constraint enrichment_runs_status_check;
alter table enrichment_runs add constraint enrichment_runs_status_check
  check (status in ('running', 'succeeded', 'partial', 'rate_limited', 'quota_paused', 'spotify_unavailable', 'interrupted', 'failed', 'skipped'));
