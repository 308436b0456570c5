import { CompiledQuery, sql, type Kysely } from "kysely";
import type { Database } from "../db/schema";
import { unclaimed } from "./claims";

/**
 * The enrichment backlog in SQL. Work is counted in unique items, not listens: an item is a track
 * id from the export (`i:<id>`), or else the normalised artist + track text (`k:<lookup key>`).
 * Every statement here is set-based, whatever the number of listens behind an item.
 */
export const ITEM_SQL = sql<string>`coalesce('i:' || l.source_track_id, 'k:' || l.lookup_key)`;

/** A listen of a track still waiting for enrichment (the `listens_pending_idx` partial index). */
export const PENDING_TRACK = sql`l.enrichment_status = 'pending' and l.kind = 'track'`;

export interface PendingItem {
  item: string;
  trackId: string | null;
  lookupKey: string | null;
  artistName: string | null;
  trackName: string | null;
  albumName: string | null;
  listens: number;
  /** The longest play of the item: a lower bound on its track's duration. */
  maxMsPlayed: number | null;
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
 * The order a person's backlog is worked in. `most_played` (the default): the items that fill the
 * most listens first, then the most recently played — the top of a history, which every stats page
 * shows, is complete first. `oldest`: the oldest first (kept for comparison in the bench).
 */
export type BacklogOrder = "most_played" | "oldest";

/** The pending items that need a call, in `order`, skipping those another run is fetching right now. */
export async function pendingItems(db: Kysely<Database>, userId: string, limit: number, order: BacklogOrder = "most_played"): Promise<PendingItem[]> {
  const orderBy = order === "oldest" ? sql`g.first, g.item` : sql`g.listens desc, g.last desc, g.item`;
  const { rows } = await sql<PendingItem & { first: Date; last: Date }>`
    select g.* from (
      select ${ITEM_SQL} as item,
             min(l.source_track_id) as "trackId", min(l.lookup_key) as "lookupKey",
             min(l.artist_name) as "artistName", min(l.track_name) as "trackName", min(l.album_name) as "albumName",
             count(*)::int as listens, max(l.ms_played)::int as "maxMsPlayed",
             min(l.played_at) as first, max(l.played_at) as last
        from listens l
       where l.user_id = ${userId} and ${PENDING_TRACK}
         and (l.source_track_id is not null or l.lookup_key is not null)
       group by 1
    ) g
    where ${unclaimed(sql`g.item`)}
    order by ${orderBy}
    limit ${limit}`.execute(db);
  return rows.map(({ first: _first, last: _last, ...r }) => r);
}

/** True while any connected person has track listens waiting: the lowest-priority work waits for that. */
export async function anyPendingTrackWork(db: Kysely<Database>): Promise<boolean> {
  const { rows } = await sql<{ yes: boolean }>`
    select exists (
      select 1 from listens l join spotify_tokens st on st.user_id = l.user_id and st.state = 'valid'
       where ${PENDING_TRACK}) as yes`.execute(db);
  return rows[0]!.yes;
}

/**
 * Recounts a person's backlog in unique items, and how many of them will cost a call (no catalogue
 * entry, no cached lookup), into `enrichment_backlog`. Runs after every enrichment run and import,
 * so the dashboard never counts distinct items itself. Parameter $1: the user id. Plain SQL text,
 * so the import can run it on its own transaction's client.
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
