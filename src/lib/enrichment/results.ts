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

  /** Writes what was found so far and starts over: a killed worker loses at most one slice of calls. */
  async save(db: Kysely<Database>, userId: string, outcome: RunOutcome) {
    const { tracks, albumTracks, albums, lookups, results } = this;
    this.tracks = [];
    this.albumTracks = [];
    this.albums = [];
    this.lookups = [];
    this.results = [];
    await upsertTracks(db, uniqueById(tracks));
    await upsertTracks(db, uniqueById(albumTracks), { fromAlbum: true });
    await markAlbumsFetched(db, albums);
    await saveLookups(db, [...new Map(lookups.map((l) => [l.lookupKey, l])).values()]);
    outcome.listensUpdated += await applyResults(db, userId, results);
    outcome.itemsAttempted += results.length;
    for (const r of results) {
      if (r.status === "enriched") outcome.itemsMatched++;
      else if (r.status === "not_found") outcome.itemsNotFound++;
      else outcome.itemsFailed++;
    }
  }
}

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

/** Remembers what a search (or an id) found, or that it found nothing, for every user. */
export async function saveLookups(db: Kysely<Database>, rows: LookupRow[]): Promise<void> {
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
