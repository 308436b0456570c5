-- Per-person counts of listens by kind and enrichment status, kept exact by statement-level
-- triggers, so the dashboard and /api/spotify/enrich answer in milliseconds with millions of listens.
create table listen_counts (
  user_id   bigint not null references users (id) on delete cascade,
  kind      text not null,
  status    text not null,
  listens   bigint not null default 0,
  ms_played bigint not null default 0,
  primary key (user_id, kind, status)
);

insert into listen_counts (user_id, kind, status, listens, ms_played)
select user_id, kind, enrichment_status, count(*), coalesce(sum(ms_played), 0)
  from listens group by 1, 2, 3;

create function listen_counts_after_insert() returns trigger language plpgsql as $$
begin
  insert into listen_counts (user_id, kind, status, listens, ms_played)
  select user_id, kind, enrichment_status, count(*), coalesce(sum(ms_played), 0) from new_rows group by 1, 2, 3
  on conflict (user_id, kind, status) do update
    set listens = listen_counts.listens + excluded.listens, ms_played = listen_counts.ms_played + excluded.ms_played;
  return null;
end $$;

create function listen_counts_after_update() returns trigger language plpgsql as $$
begin
  insert into listen_counts (user_id, kind, status, listens, ms_played)
  select user_id, kind, status, sum(n), sum(ms)
    from (select user_id, kind, enrichment_status as status, -count(*) as n, -coalesce(sum(ms_played), 0) as ms from old_rows group by 1, 2, 3
          union all
          select user_id, kind, enrichment_status, count(*), coalesce(sum(ms_played), 0) from new_rows group by 1, 2, 3) d
   group by 1, 2, 3
  having sum(n) <> 0 or sum(ms) <> 0
  on conflict (user_id, kind, status) do update
    set listens = listen_counts.listens + excluded.listens, ms_played = listen_counts.ms_played + excluded.ms_played;
  return null;
end $$;

-- Deletes only lower existing counts: when a person is deleted their counts go with them.
create function listen_counts_after_delete() returns trigger language plpgsql as $$
begin
  update listen_counts c
     set listens = c.listens - d.n, ms_played = c.ms_played - d.ms
    from (select user_id, kind, enrichment_status as status, count(*) as n, coalesce(sum(ms_played), 0) as ms
            from old_rows group by 1, 2, 3) d
   where c.user_id = d.user_id and c.kind = d.kind and c.status = d.status;
  return null;
end $$;

create trigger listens_count_insert after insert on listens
  referencing new table as new_rows for each statement execute function listen_counts_after_insert();
create trigger listens_count_update after update on listens
  referencing old table as old_rows new table as new_rows for each statement execute function listen_counts_after_update();
create trigger listens_count_delete after delete on listens
  referencing old table as old_rows for each statement execute function listen_counts_after_delete();

-- What the enrichment backlog looks like in unique tracks, written by each run and each import
-- (counting distinct items takes a scan; the dashboard must not).
create table enrichment_backlog (
  user_id        bigint primary key references users (id) on delete cascade,
  pending_items  integer not null,
  -- Of those, the ones no catalogue entry or cached lookup covers: each costs a call.
  call_items     integer not null,
  computed_at    timestamptz not null default now()
);

-- Calls by endpoint and status ("tracks/{id} 200", "search 429"), for metrics and the run log.
alter table enrichment_runs add column api_statuses jsonb not null default '{}';
