import type { ColumnType, Generated, Insertable, Selectable, Updateable } from "kysely";

/** Kysely's view of migrations/*.sql. Keep it in step with the SQL; a test checks the columns. */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string | T | undefined, string | T>;
type BigIntId = ColumnType<string, never, never>;

export interface UsersTable {
  id: Generated<string>;
  spotify_id: string;
  display_name: string | null;
  email: string | null;
  country: string | null;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

export interface SessionsTable {
  id: BigIntId;
  user_id: string;
  token_hash: Buffer;
  created_at: DefaultTimestamp;
  expires_at: Timestamp;
  last_seen_at: DefaultTimestamp;
}

export type TokenState = "valid" | "expired" | "revoked";

export interface SpotifyTokensTable {
  user_id: string;
  access_token_enc: Buffer;
  refresh_token_enc: Buffer | null;
  expires_at: Timestamp;
  scope: Generated<string>;
  authorized_at: Timestamp;
  state: Generated<TokenState>;
  last_error: string | null;
  last_refreshed_at: Timestamp | null;
  updated_at: DefaultTimestamp;
}

export type UploadStatus = "receiving" | "pending" | "processing" | "completed" | "failed";

export interface UploadJobsTable {
  id: Generated<string>;
  user_id: string;
  status: Generated<UploadStatus>;
  original_name: string | null;
  byte_size: ColumnType<string | null, number | string | null, number | string | null>;
  file_path: string | null;
  files: Json<unknown[]>;
  entries_total: number | null;
  entries_processed: Generated<number>;
  inserted: Generated<number>;
  duplicates: Generated<number>;
  skipped: Generated<number>;
  skipped_reasons: Json<Record<string, number>>;
  error: string | null;
  created_at: DefaultTimestamp;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  bytes_total: ColumnType<string | null, number | string | null | undefined, number | string | null>;
  bytes_processed: ColumnType<string, number | string | undefined, number | string>;
  upgraded: Generated<number>;
  names_capped: Generated<number>;
  identical_folded: Generated<number>;
  bytes_received: ColumnType<string, number | string | undefined, number | string>;
}

export interface SpotifyImage {
  url: string;
  width: number | null;
  height: number | null;
}

export interface AlbumsTable {
  id: string;
  name: string;
  album_type: string | null;
  release_date: string | null;
  release_date_precision: string | null;
  total_tracks: number | null;
  images: Json<SpotifyImage[]>;
  fetched_at: Timestamp | null;
  updated_at: DefaultTimestamp;
}

export interface ArtistsTable {
  id: string;
  name: string;
  genres: string[] | null;
  images: Json<SpotifyImage[]>;
  fetched_at: Timestamp | null;
  updated_at: DefaultTimestamp;
}

export interface TracksTable {
  id: string;
  name: string;
  album_id: string | null;
  duration_ms: number | null;
  isrc: string | null;
  explicit: boolean | null;
  track_number: number | null;
  disc_number: number | null;
  fetched_at: DefaultTimestamp;
  needs_detail: Generated<boolean>;
}

export interface TrackArtistsTable {
  track_id: string;
  position: number;
  artist_id: string;
}

export interface TrackLookupsTable {
  lookup_key: string;
  artist_name: string;
  track_name: string;
  status: "matched" | "not_found";
  track_id: string | null;
  confidence: number | null;
  reason: string | null;
  checked_at: DefaultTimestamp;
}

export type ListenKind = "track" | "episode" | "audiobook" | "video" | "unknown";
export type EnrichmentStatus = "pending" | "enriched" | "not_found" | "failed" | "not_applicable";

export interface ListensTable {
  id: BigIntId;
  user_id: string;
  upload_id: string | null;
  played_at: Timestamp;
  played_at_precision: Generated<"second" | "minute">;
  ms_played: number;
  kind: ListenKind;
  track_name: string | null;
  artist_name: string | null;
  album_name: string | null;
  episode_name: string | null;
  show_name: string | null;
  audiobook_title: string | null;
  chapter_title: string | null;
  source_uri: string | null;
  source_track_id: string | null;
  lookup_key: string | null;
  platform: string | null;
  conn_country: string | null;
  reason_start: string | null;
  reason_end: string | null;
  shuffle: boolean | null;
  skipped: boolean | null;
  offline: boolean | null;
  offline_at: Timestamp | null;
  incognito: boolean | null;
  dedupe_key: Buffer;
  spotify_track_id: string | null;
  enrichment_status: Generated<EnrichmentStatus>;
  enrichment_reason: string | null;
  enriched_at: Timestamp | null;
  created_at: DefaultTimestamp;
}

export type RunTrigger = "schedule" | "upload" | "manual" | "cron-endpoint" | "cli" | "resume";
export type RunStatus =
  | "running"
  | "succeeded"
  | "partial"
  | "rate_limited"
  | "quota_paused"
  /** Spotify itself was failing (5xx, timeouts…): the items stay pending; it resumes by itself. */
  | "spotify_unavailable"
  | "failed"
  | "skipped"
  /** Its worker died (killed, or lost the database) before it ended; closed by a live worker. */
  | "interrupted";

export interface EnrichmentRunsTable {
  id: BigIntId;
  trigger: RunTrigger;
  user_id: string | null;
  job_id: string | null;
  worker_id: string | null;
  started_at: DefaultTimestamp;
  finished_at: Timestamp | null;
  status: Generated<RunStatus>;
  items_attempted: Generated<number>;
  items_matched: Generated<number>;
  items_not_found: Generated<number>;
  items_failed: Generated<number>;
  listens_updated: Generated<number>;
  api_calls: Json<Record<string, number>>;
  rate_limited: Json<Record<string, number>>;
  wait_ms: ColumnType<string, number | string | undefined, number | string>;
  error: string | null;
  listens_from_catalogue: Generated<number>;
  api_statuses: Json<Record<string, number>>;
  artists_fetched: Generated<number>;
  resume_at: Timestamp | null;
}

export interface EnrichmentClaimsTable {
  item: string;
  owner: string;
  claimed_at: DefaultTimestamp;
}

export interface WorkerHeartbeatsTable {
  worker_id: string;
  hostname: string;
  pid: number;
  concurrency: number;
  started_at: DefaultTimestamp;
  last_seen_at: DefaultTimestamp;
  /** graphile-worker's ids for this process's job runners (what `locked_by` names). */
  runner_ids: ColumnType<string[], string[] | undefined, string[]>;
}

export interface AppStateTable {
  key: string;
  value: Json<unknown>;
  updated_at: DefaultTimestamp;
}

export interface SpotifyRateStateTable {
  client_id: string;
  tokens: number;
  refilled_at: DefaultTimestamp;
  blocked_until: Timestamp | null;
  blocked_reason: string | null;
  batch_endpoints: Generated<"unknown" | "available" | "unavailable">;
  updated_at: DefaultTimestamp;
  /** Start of the current Spotify outage (5xx, timeouts…); null while Spotify answers. */
  unavailable_since: Timestamp | null;
  /** Failed tries in a row during that outage: the next wait doubles with each. */
  unavailable_strikes: Generated<number>;
  /** The daily budget learned from QUOTA_EXCEEDED (migration 0013); null until learned. */
  learned_daily_budget: number | null;
  /** Calls the rolling day held at the last QUOTA_EXCEEDED, and when it came. */
  quota_hit_calls: number | null;
  quota_hit_at: Timestamp | null;
  /** When the learned budget last changed (or started counting). */
  budget_changed_at: Timestamp | null;
}

export interface SpotifyCallCountsTable {
  client_id: string;
  minute: Timestamp;
  calls: Generated<number>;
}

export interface ListenCountsTable {
  user_id: string;
  kind: string;
  status: string;
  listens: ColumnType<string, number | string, number | string>;
  ms_played: ColumnType<string, number | string, number | string>;
}

export interface EnrichmentBacklogTable {
  user_id: string;
  pending_items: number;
  call_items: number;
  computed_at: DefaultTimestamp;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  spotify_tokens: SpotifyTokensTable;
  upload_jobs: UploadJobsTable;
  albums: AlbumsTable;
  artists: ArtistsTable;
  tracks: TracksTable;
  track_artists: TrackArtistsTable;
  track_lookups: TrackLookupsTable;
  listens: ListensTable;
  enrichment_runs: EnrichmentRunsTable;
  worker_heartbeats: WorkerHeartbeatsTable;
  app_state: AppStateTable;
  spotify_rate_state: SpotifyRateStateTable;
  spotify_call_counts: SpotifyCallCountsTable;
  enrichment_claims: EnrichmentClaimsTable;
  listen_counts: ListenCountsTable;
  enrichment_backlog: EnrichmentBacklogTable;
}

export type User = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type UploadJob = Selectable<UploadJobsTable>;
export type UploadJobUpdate = Updateable<UploadJobsTable>;
export type Listen = Selectable<ListensTable>;
export type NewListen = Insertable<ListensTable>;
export type EnrichmentRun = Selectable<EnrichmentRunsTable>;
