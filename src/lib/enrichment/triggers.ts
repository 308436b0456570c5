import type { Kysely } from "kysely";
import type pg from "pg";
import type { Database, RunTrigger } from "../db/schema";
import { enqueue } from "../queue/enqueue";
import { artistsToFetch } from "./artists";
import { eligibleUsers } from "./backlog";
import { tracksNeedingDetail } from "./track-details";

/**
 * Every way enrichment is started ends here: one `enrich` job per person, keyed so that any number
 * of triggers (schedule, upload, "Enrich now", the cron endpoint) coalesce into one.
 */
export const enrichJobKey = (userId: string) => `enrich:user:${userId}`;

/**
 * The schedule and the cron endpoint keep a job's time when one is already waiting (a batch paused
 * until the quota lifts stays paused); a person pressing "Enrich now" moves it to now.
 */
export async function enqueueEnrich(db: Kysely<Database>, userId: string, trigger: RunTrigger, opts: { notBefore?: Date } = {}): Promise<{ id: string }> {
  // `notBefore`: a limit holds every call back until then; a job already waiting for it keeps its time.
  const keepTime = trigger === "schedule" || trigger === "cron-endpoint" || opts.notBefore !== undefined;
  return enqueue(db, "enrich", { userId, trigger }, { jobKey: enrichJobKey(userId), jobKeyMode: keepTime ? "preserve_run_at" : "replace", runAt: opts.notBefore });
}

/**
 * A job for this person now if they have anything left to enrich (pending track listens, artist
 * pages, track details) — for when enrichment becomes possible again, as when someone reconnects
 * Spotify. Works inside the caller's transaction. Returns the job, or null with nothing to do.
 */
export async function enqueueEnrichIfPending(db: Kysely<Database>, userId: string, trigger: RunTrigger): Promise<{ id: string } | null> {
  const pending = await db
    .selectFrom("listen_counts")
    .select("listens")
    .where("user_id", "=", userId)
    .where("kind", "=", "track")
    .where("status", "=", "pending")
    .where("listens", ">", "0")
    .executeTakeFirst();
  const work = pending !== undefined || (await artistsToFetch(db, userId, 1)).length > 0 || (await tracksNeedingDetail(db, userId, 1)).length > 0;
  return work ? enqueueEnrich(db, userId, trigger) : null;
}

/** One job per person with a valid connection and pending work. Returns how many. */
export async function enqueueEnrichForAll(db: Kysely<Database>, trigger: RunTrigger): Promise<number> {
  const users = await eligibleUsers(db);
  for (const userId of users) await enqueueEnrich(db, userId, trigger);
  return users.length;
}

/**
 * From inside the transaction that completes an upload: the job commits with the listens. Only for
 * a person with a valid Spotify connection — nobody else is enriched.
 */
export async function enqueueEnrichInTransaction(client: pg.ClientBase, userId: string, trigger: RunTrigger): Promise<void> {
  await client.query(
    `select graphile_worker.add_job('enrich', $1::json, job_key => $2)
      where exists (select 1 from spotify_tokens where user_id = $3 and state = 'valid')`,
    [JSON.stringify({ userId, trigger }), enrichJobKey(userId), userId],
  );
}
