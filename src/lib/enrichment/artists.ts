import { sql, type Kysely } from "kysely";
import { markArtistsMissing, upsertArtists } from "../catalogue/upsert";
import type { Database } from "../db/schema";
import { BATCH_ARTISTS, getArtist, getArtists } from "../spotify/fetch";
import { rateBudgetOptions, rateState } from "../spotify/rate-budget";
import type { SpotifyArtist } from "../spotify/schemas";
import { claimItems, unclaimed } from "./claims";
import { NotFound } from "../spotify/web-api";
import { bestEffort, type RunScope } from "./run-scope";

/**
 * Phase 4, artists: the pages (images, genres) of the artists on this person's enriched tracks,
 * once the tracks are done; one call each, or 50 at once where the app has batch endpoints.
 * Returns how many were fetched.
 */
export async function fetchArtists(scope: RunScope, userId: string, owner: string, limit: number): Promise<number> {
  const { db, config } = scope.ctx;
  const ids = await artistsToFetch(db, userId, limit);
  const mine = await claimItems(db, owner, ids.map((id) => `a:${id}`));
  const todo = ids.filter((id) => mine.has(`a:${id}`));
  const got: SpotifyArtist[] = [];
  // Spotify has no page for these (404, or null in a batch): never asked for again.
  const missing: string[] = [];
  const batch = (await rateState(db, rateBudgetOptions(config).clientId)).batchEndpoints;
  try {
    if (batch === "available") {
      for (let i = 0; i < todo.length && scope.mayCall(); i += BATCH_ARTISTS) {
        const ids = todo.slice(i, i + BATCH_ARTISTS);
        const answers = await getArtists(scope.api, ids);
        answers.forEach((a, k) => (a ? got.push(a) : missing.push(ids[k]!)));
      }
    } else {
      for (const id of todo) {
        if (!scope.mayCall()) break;
        got.push(
          ...(await bestEffort(async () => {
            try {
              return [await getArtist(scope.api, id)];
            } catch (err) {
              if (err instanceof NotFound) return (missing.push(id), []);
              throw err;
            }
          })).flat(),
        );
      }
    }
  } finally {
    await upsertArtists(db, got);
    await markArtistsMissing(db, missing);
  }
  return got.length;
}

/**
 * Artists of this user's enriched tracks whose own page (images, genres) was never read, those of
 * the most-played tracks first.
 */
export async function artistsToFetch(db: Kysely<Database>, userId: string, limit: number): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    select ta.artist_id as id
      from listens l
      join track_artists ta on ta.track_id = l.spotify_track_id
      join artists a on a.id = ta.artist_id
     where l.user_id = ${userId} and l.spotify_track_id is not null
       and a.fetched_at is null
       and ${unclaimed(sql`'a:' || ta.artist_id`)}
     group by ta.artist_id
     order by count(*) desc, ta.artist_id
     limit ${limit}`.execute(db);
  return rows.map((r) => r.id);
}
