-- A worker records the ids graphile-worker gave its job runners, so that any live worker can tell
-- the jobs a dead one still holds (graphile_worker's locked_by) and free them.
alter table worker_heartbeats add column runner_ids text[] not null default '{}';

-- A run whose worker died is closed as 'interrupted', with the reason, by a live worker.
alter table enrichment_runs drop constraint enrichment_runs_status_check;
alter table enrichment_runs add constraint enrichment_runs_status_check
  check (status in ('running', 'succeeded', 'partial', 'rate_limited', 'quota_paused', 'failed', 'skipped', 'interrupted'));

create index enrichment_runs_running_idx on enrichment_runs (id) where status = 'running';
