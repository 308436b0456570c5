import { sql, type Kysely } from "kysely";
import { upsertTracks } from "../catalogue/upsert";
import type { Database } from "../db/schema";
import { getTrack } from "../spotify/fetch";
import type { SpotifyTrack } from "../spotify/schemas";
import { claimItems, unclaimed } from "./claims";
import { bestEffort, type RunScope } from "./run-scope";

/**
 * Phase 5, ISRC backfill: an album's track list lacks each track's ISRC, so album-fetched tracks
 * are fetched whole — last of all, only when nobody's tracks are waiting. Returns how many.
 */
export async function fetchTrackDetails(scope: RunScope, userId: string, owner: string, limit: number): Promise<number> {
  if (limit <= 0) return 0;
  const { db } = scope.ctx;
  const ids = await tracksNeedingDetail(db, userId, limit);
  const mine = await claimItems(db, owner, ids.map((id) => `d:${id}`));
  const got: SpotifyTrack[] = [];
  try {
    for (const id of ids.filter((x) => mine.has(`d:${x}`))) {
      if (!scope.mayCall()) break;
      got.push(...(await bestEffort(() => getTrack(scope.api, id))));
    }
  } finally {
    await upsertTracks(db, got);
  }
  return got.length;
}

/** Tracks of this user's listens that came from an album's track list and still lack an ISRC. */
export async function tracksNeedingDetail(db: Kysely<Database>, userId: string, limit: number): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    select t.id from tracks t
     where t.needs_detail
       and exists (select 1 from listens l where l.spotify_track_id = t.id and l.user_id = ${userId})
       and ${unclaimed(sql`'d:' || t.id`)}
     order by t.id
     limit ${limit}`.execute(db);
  return rows.map((r) => r.id);
}
