-- Liner's data: people, their Spotify connection, uploads, listens, the shared catalogue and the
-- enrichment log. Forward-only: a later change is a new numbered file, never an edit of this one.

create table users (
  id           bigint generated always as identity primary key,
  spotify_id   text not null unique,
  display_name text,
  email        text,
  country      text,
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now()
);

-- Only a hash of the session token is stored, so a leaked table does not hand out sessions.
create table sessions (
  id           bigint generated always as identity primary key,
  user_id      bigint not null references users (id) on delete cascade,
  token_hash   bytea not null unique,
  created_at   timestamptz not null default now(),
  expires_at   timestamptz not null,
  last_seen_at timestamptz not null default now()
);
create index sessions_user_idx on sessions (user_id);
create index sessions_expires_idx on sessions (expires_at);

-- Tokens are encrypted by the application (AES-256-GCM) before they reach this table.
create table spotify_tokens (
  user_id           bigint primary key references users (id) on delete cascade,
  access_token_enc  bytea not null,
  refresh_token_enc bytea,
  expires_at        timestamptz not null,
  scope             text not null default '',
  -- Spotify refresh tokens die six months after the user authorised, whatever refreshes happen.
  authorized_at     timestamptz not null,
  state             text not null default 'valid' check (state in ('valid', 'expired', 'revoked')),
  last_error        text,
  last_refreshed_at timestamptz,
  updated_at        timestamptz not null default now()
);
create index spotify_tokens_state_idx on spotify_tokens (state);

create table upload_jobs (
  id                uuid primary key default gen_random_uuid(),
  user_id           bigint not null references users (id) on delete cascade,
  status            text not null default 'pending'
                    check (status in ('pending', 'processing', 'completed', 'failed')),
  original_name     text,
  byte_size         bigint,
  -- Where the uploaded file waits for the worker; cleared once it is removed.
  file_path         text,
  files             jsonb not null default '[]',
  entries_total     integer,
  entries_processed integer not null default 0,
  inserted          integer not null default 0,
  duplicates        integer not null default 0,
  skipped           integer not null default 0,
  skipped_reasons   jsonb not null default '{}',
  error             text,
  created_at        timestamptz not null default now(),
  started_at        timestamptz,
  finished_at       timestamptz
);
create index upload_jobs_user_idx on upload_jobs (user_id, created_at desc);

-- The shared catalogue: whatever one user's enrichment brought in costs nothing for the next.
create table albums (
  id                     text primary key,
  name                   text not null,
  album_type             text,
  release_date           text,
  release_date_precision text,
  total_tracks           integer,
  images                 jsonb not null default '[]',
  -- Set when the full album (with its track list) was fetched, not just seen inside a track.
  fetched_at             timestamptz,
  updated_at             timestamptz not null default now()
);

create table artists (
  id         text primary key,
  name       text not null,
  genres     text[],
  images     jsonb not null default '[]',
  -- Null until the artist's own endpoint was read (images, genres); a track only names the artist.
  fetched_at timestamptz,
  updated_at timestamptz not null default now()
);

create table tracks (
  id           text primary key,
  name         text not null,
  album_id     text references albums (id),
  duration_ms  integer,
  isrc         text,
  explicit     boolean,
  track_number integer,
  disc_number  integer,
  fetched_at   timestamptz not null default now()
);
create index tracks_album_idx on tracks (album_id);
create index tracks_isrc_idx on tracks (isrc) where isrc is not null;

create table track_artists (
  track_id  text not null references tracks (id) on delete cascade,
  position  smallint not null,
  artist_id text not null references artists (id),
  primary key (track_id, position)
);
create index track_artists_artist_idx on track_artists (artist_id);

-- Normalised "artist + track" text → a track, or a remembered miss, so nothing is searched twice.
create table track_lookups (
  lookup_key  text primary key,
  artist_name text not null,
  track_name  text not null,
  status      text not null check (status in ('matched', 'not_found')),
  track_id    text references tracks (id),
  confidence  real,
  reason      text,
  checked_at  timestamptz not null default now(),
  check ((status = 'matched') = (track_id is not null))
);

create table listens (
  id                 bigint generated always as identity primary key,
  user_id            bigint not null references users (id) on delete cascade,
  upload_id          uuid references upload_jobs (id) on delete set null,
  -- The end of the play, UTC. Basic exports give it to the minute, extended ones to the second.
  played_at          timestamptz not null,
  played_at_precision text not null default 'second' check (played_at_precision in ('second', 'minute')),
  ms_played          integer not null check (ms_played >= 0),
  kind               text not null check (kind in ('track', 'episode', 'audiobook', 'video', 'unknown')),
  track_name         text,
  artist_name        text,
  album_name         text,
  episode_name       text,
  show_name          text,
  audiobook_title    text,
  chapter_title      text,
  source_uri         text,
  -- The 22-character id from spotify_track_uri when the export gave one.
  source_track_id    text,
  -- Normalised "artist + track"; groups listens into unique items and keys the lookup cache.
  lookup_key         text,
  platform           text,
  conn_country       text,
  reason_start       text,
  reason_end         text,
  shuffle            boolean,
  skipped            boolean,
  offline            boolean,
  offline_at         timestamptz,
  incognito          boolean,
  -- Identity of a listen across uploads: item, end minute, ms played and its occurrence among
  -- identical entries. Re-importing, or overlapping basic and extended exports, adds nothing.
  dedupe_key         bytea not null,
  spotify_track_id   text references tracks (id),
  enrichment_status  text not null default 'pending'
                     check (enrichment_status in ('pending', 'enriched', 'not_found', 'failed', 'not_applicable')),
  enrichment_reason  text,
  enriched_at        timestamptz,
  created_at         timestamptz not null default now(),
  unique (user_id, dedupe_key)
);
create index listens_user_played_idx on listens (user_id, played_at);
create index listens_track_idx on listens (spotify_track_id) where spotify_track_id is not null;
create index listens_upload_idx on listens (upload_id);
-- The enrichment backlog: small because enriched listens leave it.
create index listens_pending_idx on listens (user_id, played_at)
  where enrichment_status = 'pending' and kind = 'track';
create index listens_user_status_idx on listens (user_id, enrichment_status);

create table enrichment_runs (
  id              bigint generated always as identity primary key,
  trigger         text not null check (trigger in ('schedule', 'upload', 'manual', 'cron-endpoint', 'cli', 'resume')),
  user_id         bigint references users (id) on delete cascade,
  job_id          text,
  worker_id       text,
  started_at      timestamptz not null default now(),
  finished_at     timestamptz,
  status          text not null default 'running'
                  check (status in ('running', 'succeeded', 'partial', 'rate_limited', 'quota_paused', 'failed', 'skipped')),
  items_attempted integer not null default 0,
  items_matched   integer not null default 0,
  items_not_found integer not null default 0,
  items_failed    integer not null default 0,
  listens_updated integer not null default 0,
  api_calls       jsonb not null default '{}',
  rate_limited    jsonb not null default '{}',
  wait_ms         bigint not null default 0,
  error           text
);
create index enrichment_runs_started_idx on enrichment_runs (started_at desc);
create index enrichment_runs_user_idx on enrichment_runs (user_id, started_at desc);

-- Every worker process writes here on a timer; "alive" means seen recently.
create table worker_heartbeats (
  worker_id    text primary key,
  hostname     text not null,
  pid          integer not null,
  concurrency  integer not null,
  started_at   timestamptz not null default now(),
  last_seen_at timestamptz not null default now()
);

-- Small facts the install remembers (for example what a worker last answered to a ping).
create table app_state (
  key        text primary key,
  value      jsonb not null,
  updated_at timestamptz not null default now()
);
