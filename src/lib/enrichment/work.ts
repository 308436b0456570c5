import { CompiledQuery, sql, type Kysely } from "kysely";
import type { Database } from "../db/schema";

/**
 * The enrichment backlog in SQL. Work is counted in unique items, not listens: an item is a track
 * id from the export (`i:<id>`), or else the normalised artist + track text (`k:<lookup key>`).
 * Every statement here is set-based, whatever the number of listens behind an item.
 */
export const ITEM_SQL = sql<string>`coalesce('i:' || l.source_track_id, 'k:' || l.lookup_key)`;

const PENDING_TRACK = sql`l.enrichment_status = 'pending' and l.kind = 'track'`;

/** A claim older than this belonged to a worker that died: the item is free again. */
export const CLAIM_STALE_MINUTES = 10;

export interface PendingItem {
  item: string;
  trackId: string | null;
  lookupKey: string | null;
  artistName: string | null;
  trackName: string | null;
  albumName: string | null;
  listens: number;
}

/** Users whose listens may be enriched: a valid Spotify connection (the privacy rule) and work left. */
export async function eligibleUsers(db: Kysely<Database>): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    select u.id
      from users u
      join spotify_tokens st on st.user_id = u.id and st.state = 'valid'
     where exists (select 1 from listens l where l.user_id = u.id and ${PENDING_TRACK})
     order by (select max(r.started_at) from enrichment_runs r where r.user_id = u.id) asc nulls first, u.id`.execute(db);
  return rows.map((r) => r.id);
}

export async function hasValidConnection(db: Kysely<Database>, userId: string): Promise<boolean> {
  const row = await db.selectFrom("spotify_tokens").select("state").where("user_id", "=", userId).executeTakeFirst();
  return row?.state === "valid";
}

/**
 * Resolves whatever costs no call: listens whose export id is already in the shared catalogue, and
 * names the lookup cache knows (a match, or a miss younger than the recheck age). Returns the
 * listens updated.
 */
export async function resolveFromCatalogue(db: Kysely<Database>, userId: string, recheckDays: number): Promise<number> {
  return db.transaction().execute(async (tx) => {
    // An export that names the id teaches the cache what its names mean, for everyone's basic exports.
    await sql`
      insert into track_lookups (lookup_key, artist_name, track_name, status, track_id, confidence, reason)
      select distinct on (l.lookup_key) l.lookup_key, l.artist_name, l.track_name, 'matched', l.source_track_id, 1, 'named by an export'
        from listens l
        join tracks t on t.id = l.source_track_id
       where l.user_id = ${userId} and l.lookup_key is not null and l.artist_name is not null and l.track_name is not null
         and (l.enrichment_status = 'pending' or l.enriched_at > now() - interval '1 minute')
       order by l.lookup_key, l.played_at desc
      on conflict (lookup_key) do update set
        status = 'matched', track_id = excluded.track_id, confidence = 1, reason = excluded.reason, checked_at = now()
        where track_lookups.status = 'not_found'`.execute(tx);
    const byId = await sql`
      update listens l
         set spotify_track_id = l.source_track_id, enrichment_status = 'enriched', enrichment_reason = null, enriched_at = now()
       where l.user_id = ${userId} and ${PENDING_TRACK} and l.source_track_id is not null
         and exists (select 1 from tracks t where t.id = l.source_track_id)`.execute(tx);
    const byName = await sql`
      update listens l
         set spotify_track_id = tl.track_id, enrichment_status = 'enriched', enriched_at = now(),
             enrichment_reason = 'matched by name (' || round(coalesce(tl.confidence, 1) * 100) || '%)'
        from track_lookups tl
       where l.user_id = ${userId} and ${PENDING_TRACK} and l.source_track_id is null
         and tl.lookup_key = l.lookup_key and tl.status = 'matched'`.execute(tx);
    const misses = await sql`
      update listens l
         set enrichment_status = 'not_found', enrichment_reason = tl.reason, enriched_at = now()
        from track_lookups tl
       where l.user_id = ${userId} and ${PENDING_TRACK}
         and tl.lookup_key = case when l.source_track_id is not null then 'id:' || l.source_track_id else l.lookup_key end
         and tl.status = 'not_found' and tl.checked_at > now() - make_interval(days => ${recheckDays})`.execute(tx);
    return [byId, byName, misses].reduce((n, r) => n + Number(r.numAffectedRows ?? 0), 0);
  });
}

/** The oldest pending items that need a call, skipping those another run is fetching right now. */
export async function pendingItems(db: Kysely<Database>, userId: string, limit: number): Promise<PendingItem[]> {
  const { rows } = await sql<PendingItem & { first: Date }>`
    select g.* from (
      select ${ITEM_SQL} as item,
             min(l.source_track_id) as "trackId", min(l.lookup_key) as "lookupKey",
             min(l.artist_name) as "artistName", min(l.track_name) as "trackName", min(l.album_name) as "albumName",
             count(*)::int as listens, min(l.played_at) as first
        from listens l
       where l.user_id = ${userId} and ${PENDING_TRACK}
         and (l.source_track_id is not null or l.lookup_key is not null)
       group by 1
    ) g
    where not exists (
      select 1 from enrichment_claims c
       where c.item = g.item and c.claimed_at > now() - make_interval(mins => ${CLAIM_STALE_MINUTES}))
    order by g.first, g.item
    limit ${limit}`.execute(db);
  return rows.map(({ first: _first, ...r }) => r);
}

/**
 * Recounts a person's backlog in unique items, and how many of them will cost a call (no catalogue
 * entry, no cached lookup), into `enrichment_backlog`. Runs after every enrichment run and import,
 * so the dashboard never counts distinct items itself. Parameter $1: the user id.
 */
export const REFRESH_BACKLOG_SQL = `
  with items as (
    select coalesce('i:' || l.source_track_id, 'k:' || l.lookup_key) as item,
           min(l.source_track_id) as track_id, min(l.lookup_key) as lookup_key
      from listens l
     where l.user_id = $1 and l.enrichment_status = 'pending' and l.kind = 'track'
       and (l.source_track_id is not null or l.lookup_key is not null)
     group by 1)
  insert into enrichment_backlog (user_id, pending_items, call_items, computed_at)
  select $1, count(*),
         count(*) filter (where not (
           (i.track_id is not null and exists (select 1 from tracks t where t.id = i.track_id))
           or (i.track_id is null and exists (select 1 from track_lookups tl where tl.lookup_key = i.lookup_key)))),
         now()
    from items i
  on conflict (user_id) do update set
    pending_items = excluded.pending_items, call_items = excluded.call_items, computed_at = excluded.computed_at
  returning pending_items`;

export async function refreshBacklog(db: Kysely<Database>, userId: string): Promise<number> {
  const r = await db.executeQuery<{ pending_items: number }>(CompiledQuery.raw(REFRESH_BACKLOG_SQL, [userId]));
  return r.rows[0]?.pending_items ?? 0;
}

/** Takes the items no live run holds; returns the ones this run now owns. */
export async function claimItems(db: Kysely<Database>, owner: string, items: string[]): Promise<Set<string>> {
  if (items.length === 0) return new Set();
  const { rows } = await sql<{ item: string }>`
    insert into enrichment_claims (item, owner)
    select unnest(${items}::text[]), ${owner}
    on conflict (item) do update set owner = excluded.owner, claimed_at = now()
      where enrichment_claims.claimed_at <= now() - make_interval(mins => ${CLAIM_STALE_MINUTES})
    returning item`.execute(db);
  return new Set(rows.map((r) => r.item));
}

export async function releaseClaims(db: Kysely<Database>, owner: string): Promise<void> {
  await db.deleteFrom("enrichment_claims").where("owner", "=", owner).execute();
}

export interface ItemResult {
  item: string;
  status: "enriched" | "not_found" | "failed";
  trackId: string | null;
  reason: string | null;
}

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

export interface LookupRow {
  lookupKey: string;
  artistName: string;
  trackName: string;
  status: "matched" | "not_found";
  trackId: string | null;
  confidence: number | null;
  reason: string | null;
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

/** Misses and failures older than the recheck age get another chance. */
export async function requeueStale(db: Kysely<Database>, userId: string, recheckDays: number): Promise<number> {
  const r = await sql`
    update listens l set enrichment_status = 'pending', enrichment_reason = null, enriched_at = null
     where l.user_id = ${userId} and l.kind = 'track' and l.enrichment_status in ('not_found', 'failed')
       and l.enriched_at < now() - make_interval(days => ${recheckDays})`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}

/**
 * "Retry failed": failed listens (and, with `notFound`, misses — whose cache entries are dropped so
 * they are searched again) go back to pending now.
 */
export async function retryItems(db: Kysely<Database>, userId: string, opts: { notFound?: boolean } = {}): Promise<number> {
  const statuses = opts.notFound ? ["failed", "not_found"] : ["failed"];
  return db.transaction().execute(async (tx) => {
    if (opts.notFound) {
      await sql`
        delete from track_lookups tl
         using listens l
         where l.user_id = ${userId} and l.enrichment_status = 'not_found' and tl.status = 'not_found'
           and tl.lookup_key = case when l.source_track_id is not null then 'id:' || l.source_track_id else l.lookup_key end`.execute(tx);
    }
    const r = await sql`
      update listens l set enrichment_status = 'pending', enrichment_reason = null, enriched_at = null
       where l.user_id = ${userId} and l.kind = 'track' and l.enrichment_status = any(${statuses}::text[])`.execute(tx);
    await refreshBacklog(tx, userId);
    return Number(r.numAffectedRows ?? 0);
  });
}

/** Artists of this user's enriched tracks whose own page (images, genres) was never read. */
export async function artistsToFetch(db: Kysely<Database>, userId: string, limit: number): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    select a.id
      from artists a
     where a.fetched_at is null
       and exists (select 1 from track_artists ta join listens l on l.spotify_track_id = ta.track_id
                    where ta.artist_id = a.id and l.user_id = ${userId})
       and not exists (select 1 from enrichment_claims c where c.item = 'a:' || a.id
                        and c.claimed_at > now() - make_interval(mins => ${CLAIM_STALE_MINUTES}))
     order by a.id
     limit ${limit}`.execute(db);
  return rows.map((r) => r.id);
}

/** True while any connected person has track listens waiting: the lowest-priority work waits for that. */
export async function anyPendingTrackWork(db: Kysely<Database>): Promise<boolean> {
  const { rows } = await sql<{ yes: boolean }>`
    select exists (
      select 1 from listens l join spotify_tokens st on st.user_id = l.user_id and st.state = 'valid'
       where ${PENDING_TRACK}) as yes`.execute(db);
  return rows[0]!.yes;
}

/** Tracks of this user's listens that came from an album's track list and still lack an ISRC. */
export async function tracksNeedingDetail(db: Kysely<Database>, userId: string, limit: number): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    select t.id from tracks t
     where t.needs_detail
       and exists (select 1 from listens l where l.spotify_track_id = t.id and l.user_id = ${userId})
       and not exists (select 1 from enrichment_claims c where c.item = 'd:' || t.id
                        and c.claimed_at > now() - make_interval(mins => ${CLAIM_STALE_MINUTES}))
     order by t.id
     limit ${limit}`.execute(db);
  return rows.map((r) => r.id);
}
