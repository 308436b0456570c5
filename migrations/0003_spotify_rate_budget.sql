-- One rate budget per Spotify app (client id), shared by every worker through this table:
-- a token bucket for Spotify's rolling 30-second limit, per-minute call counts for the rolling
-- daily budget, and a "blocked until" that any 429 sets for everyone.
create table spotify_rate_state (
  client_id       text primary key,
  tokens          double precision not null,
  refilled_at     timestamptz not null default now(),
  blocked_until   timestamptz,
  blocked_reason  text,
  -- Batch endpoints (GET /tracks?ids=) are gone for development-mode apps: found out once, remembered.
  batch_endpoints text not null default 'unknown' check (batch_endpoints in ('unknown', 'available', 'unavailable')),
  updated_at      timestamptz not null default now()
);

create table spotify_call_counts (
  client_id    text not null,
  minute       timestamptz not null,
  calls        integer not null default 0,
  primary key (client_id, minute)
);
