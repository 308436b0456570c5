import type { Kysely } from "kysely";
import type { Database, RunStatus, RunTrigger } from "../db/schema";

/** One row per run in `enrichment_runs`: the log an operator reads when something looks stuck. */
export async function startRun(
  db: Kysely<Database>,
  run: { trigger: RunTrigger; userId: string | null; jobId?: string | null; workerId?: string | null },
): Promise<string> {
  const row = await db
    .insertInto("enrichment_runs")
    .values({ trigger: run.trigger, user_id: run.userId, job_id: run.jobId ?? null, worker_id: run.workerId ?? null, api_calls: JSON.stringify({}), rate_limited: JSON.stringify({}) })
    .returning("id")
    .executeTakeFirstOrThrow();
  return String(row.id);
}

export interface RunOutcome {
  status: RunStatus;
  itemsAttempted: number;
  itemsMatched: number;
  itemsNotFound: number;
  itemsFailed: number;
  listensUpdated: number;
  listensFromCatalogue: number;
  artistsFetched: number;
  apiCalls: Record<string, number>;
  apiStatuses?: Record<string, number>;
  rateLimited: Record<string, number>;
  waitMs: number;
  resumeAt: Date | null;
  error: string | null;
}

export async function finishRun(db: Kysely<Database>, runId: string, o: RunOutcome): Promise<void> {
  await db
    .updateTable("enrichment_runs")
    .set({
      finished_at: new Date(),
      status: o.status,
      items_attempted: o.itemsAttempted,
      items_matched: o.itemsMatched,
      items_not_found: o.itemsNotFound,
      items_failed: o.itemsFailed,
      listens_updated: o.listensUpdated,
      listens_from_catalogue: o.listensFromCatalogue,
      artists_fetched: o.artistsFetched,
      api_calls: JSON.stringify(o.apiCalls),
      api_statuses: JSON.stringify(o.apiStatuses ?? {}),
      rate_limited: JSON.stringify(o.rateLimited),
      wait_ms: o.waitMs,
      resume_at: o.resumeAt,
      error: o.error,
    })
    .where("id", "=", runId)
    .execute();
}

/**
 * Runs left "running" by a worker that died: closed as failed once far older than any run lasts,
 * so the log and the health check tell the truth.
 */
export async function closeAbandonedRuns(db: Kysely<Database>, olderThanMinutes = 30): Promise<number> {
  const r = await db
    .updateTable("enrichment_runs")
    .set({ status: "failed", finished_at: new Date(), error: "the worker stopped during this run" })
    .where("status", "=", "running")
    .where("started_at", "<", new Date(Date.now() - olderThanMinutes * 60_000))
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}
