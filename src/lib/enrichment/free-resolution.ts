import { sql, type Kysely } from "kysely";
import type { Database } from "../db/schema";
import { PENDING_TRACK } from "./backlog";
import { MAX_LOOKUP_KEY_BYTES } from "./results";

/**
 * Phase 1, free: resolves whatever costs no call — listens whose export id is already in the shared
 * catalogue, and names the lookup cache knows (a match, or a miss younger than the recheck age).
 * Returns the listens updated.
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
         and octet_length(l.lookup_key) <= ${MAX_LOOKUP_KEY_BYTES}
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
