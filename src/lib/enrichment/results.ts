import { sql, type Kysely } from "kysely";
import { markAlbumsFetched, upsertTracks } from "../catalogue/upsert";
import type { Database } from "../db/schema";
import type { SpotifyAlbum, SpotifyTrack } from "../spotify/schemas";
import { ITEM_SQL, PENDING_TRACK, type PendingItem } from "./backlog";
import type { RunOutcome } from "./runs";

export interface ItemResult {
  item: string;
  status: "enriched" | "not_found" | "failed";
  trackId: string | null;
  reason: string | null;
}

export interface LookupRow {
  lookupKey: string;
  artistName: string;
  trackName: string;
  status: "matched" | "not_found";
  trackId: string | null;
  confidence: number | null;
  reason: string | null;
}

/**
 * What a batch found, held until it is written back in a few set-based statements: the catalogue
 * (tracks, albums), the lookup cache, then every listen behind each item in one UPDATE.
 */
export class BatchResults {
  tracks: SpotifyTrack[] = [];
  albumTracks: SpotifyTrack[] = [];
  albums: SpotifyAlbum[] = [];
  lookups: LookupRow[] = [];
  results: ItemResult[] = [];

  matched(item: PendingItem, trackId: string, reason: string | null = null) {
    this.results.push({ item: item.item, status: "enriched", trackId, reason });
  }
  notFound(item: PendingItem, reason: string) {
    this.results.push({ item: item.item, status: "not_found", trackId: null, reason });
    const key = item.trackId ? `id:${item.trackId}` : item.lookupKey;
    if (key) this.lookups.push({ lookupKey: key, artistName: item.artistName ?? "", trackName: item.trackName ?? "", status: "not_found", trackId: null, confidence: null, reason });
  }
  failed(item: PendingItem, reason: string) {
    this.results.push({ item: item.item, status: "failed", trackId: null, reason });
  }

  /**
   * Writes what was found so far and starts over: a killed worker loses at most one slice of calls.
   * Each part is one set-based statement; when one fails, that part is written again row by row
   * (each its own statement, on the pool: one row's failure does not undo another's), and an item
   * whose own row cannot be written is set aside as failed with the database's reason. No single
   * item can fail the batch or the run.
   */
  async save(db: Kysely<Database>, userId: string, outcome: RunOutcome) {
    const { tracks, albumTracks, albums, lookups, results } = this;
    this.tracks = [];
    this.albumTracks = [];
    this.albums = [];
    this.lookups = [];
    this.results = [];
    // Tracks Spotify answered that the catalogue cannot hold (a NUL in a name, …): id → why.
    const unstored = new Map<string, string>();
    for (const [t, why] of await setOrEach(uniqueById(tracks), (rows) => upsertTracks(db, rows))) unstored.set(t.id, why);
    for (const [t, why] of await setOrEach(uniqueById(albumTracks), (rows) => upsertTracks(db, rows, { fromAlbum: true }))) unstored.set(t.id, why);
    // An album not marked fetched, or a lookup not remembered, costs a later call, never an item.
    await setOrEach(albums, (rows) => markAlbumsFetched(db, rows));
    const cacheable = lookups.filter((l) => !(l.trackId !== null && unstored.has(l.trackId)));
    await setOrEach([...new Map(cacheable.map((l) => [l.lookupKey, l])).values()], (rows) => saveLookups(db, rows));

    const settled = results.map((r): ItemResult =>
      r.trackId !== null && unstored.has(r.trackId)
        ? { item: r.item, status: "failed", trackId: null, reason: `Spotify's answer for this track could not be stored: ${unstored.get(r.trackId)}` }
        : r,
    );
    let updated = 0;
    const unsaved = await setOrEach(settled, async (rows) => {
      updated += await applyResults(db, userId, rows);
    });
    for (const [r, why] of unsaved) {
      // The item's own row would not take its result: it is set aside, the reason kept. If even
      // that fails, the database itself is in trouble and the run stops.
      r.status = "failed";
      r.trackId = null;
      r.reason = `Its result could not be saved: ${why}`;
      updated += await applyResults(db, userId, [r]);
    }
    outcome.listensUpdated += updated;
    outcome.itemsAttempted += settled.length;
    for (const r of settled) {
      if (r.status === "enriched") outcome.itemsMatched++;
      else if (r.status === "not_found") outcome.itemsNotFound++;
      else outcome.itemsFailed++;
    }
  }
}

/**
 * Writes `rows` in one go; if that fails, one by one. Returns the rows that failed alone, each
 * with the database's message (shortened). A failure of every single row is a database fault, not
 * a row's: that is thrown.
 */
async function setOrEach<T>(rows: T[], write: (rows: T[]) => Promise<void>): Promise<[T, string][]> {
  if (rows.length === 0) return [];
  try {
    await write(rows);
    return [];
  } catch (err) {
    if (rows.length === 1) {
      if (!isDataError(err)) throw err;
      return [[rows[0]!, short(err)]];
    }
  }
  const failed: [T, string][] = [];
  for (const row of rows) {
    try {
      await write([row]);
    } catch (err) {
      if (!isDataError(err)) throw err;
      failed.push([row, short(err)]);
    }
  }
  return failed;
}

/**
 * Errors a row's own data causes (PostgreSQL classes 22 "data exception" and 23 "integrity
 * constraint violation", and 54 "program limit exceeded": an index row too large). A lost
 * connection or a shut-down database is not one: that stops the run as before.
 */
function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" && /^(22|23|54)/.test(code);
}

const short = (err: unknown) => {
  const m = (err as Error).message ?? String(err);
  return m.length > 200 ? `${m.slice(0, 200)}…` : m;
};

const uniqueById = (tracks: SpotifyTrack[]) => [...new Map(tracks.map((t) => [t.id, t])).values()];

/** Writes a batch's outcome onto the listens in one statement. Returns the listens updated. */
export async function applyResults(db: Kysely<Database>, userId: string, results: ItemResult[]): Promise<number> {
  if (results.length === 0) return 0;
  const r = await sql`
    update listens l
       set spotify_track_id = r.track_id, enrichment_status = r.status, enrichment_reason = r.reason, enriched_at = now()
      from jsonb_to_recordset(${JSON.stringify(results.map((x) => ({ item: x.item, status: x.status, track_id: x.trackId, reason: x.reason })))}::jsonb)
        as r(item text, status text, track_id text, reason text)
     where l.user_id = ${userId} and ${PENDING_TRACK} and ${ITEM_SQL} = r.item`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}

/**
 * Lookup keys longer than this (in bytes) are not cached. The key is the cache's primary key, and
 * a btree entry cannot exceed about 2,700 bytes ("index row requires … bytes, maximum size is
 * 8191"). Hashing such keys would keep them cached, but every reader joins the cache on a listen's
 * own lookup_key (free resolution, the backlog recount, "Retry failed"), so each would need the same
 * hash; and names this long are not shared between people, which is what the cache is for. Not
 * caching one costs at most one call per recheck.
 */
export const MAX_LOOKUP_KEY_BYTES = 2000;

/** Remembers what a search (or an id) found, or that it found nothing, for every user. */
export async function saveLookups(db: Kysely<Database>, all: LookupRow[]): Promise<void> {
  const rows = all.filter((r) => Buffer.byteLength(r.lookupKey, "utf8") <= MAX_LOOKUP_KEY_BYTES);
  if (rows.length === 0) return;
  await sql`
    insert into track_lookups (lookup_key, artist_name, track_name, status, track_id, confidence, reason)
    select r.lookup_key, r.artist_name, r.track_name, r.status, r.track_id, r.confidence, r.reason
      from jsonb_to_recordset(${JSON.stringify(rows.map((x) => ({ lookup_key: x.lookupKey, artist_name: x.artistName, track_name: x.trackName, status: x.status, track_id: x.trackId, confidence: x.confidence, reason: x.reason })))}::jsonb)
        as r(lookup_key text, artist_name text, track_name text, status text, track_id text, confidence real, reason text)
    on conflict (lookup_key) do update set
      status = excluded.status, track_id = excluded.track_id, confidence = excluded.confidence,
      reason = excluded.reason, checked_at = now()`.execute(db);
}
