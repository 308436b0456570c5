import type { Kysely } from "kysely";
import { sql } from "kysely";
import type { Database } from "../db/schema";
import type { TaskName, TaskPayload } from "./tasks";

export interface EnqueueOptions {
  /** Jobs with the same key coalesce into one (graphile-worker's job_key, mode "replace"). */
  jobKey?: string;
  /** "replace" (default) moves a waiting job to the new run_at; "preserve_run_at" keeps its time. */
  jobKeyMode?: "replace" | "preserve_run_at";
  runAt?: Date;
  maxAttempts?: number;
  priority?: number;
  queueName?: string;
}

/**
 * Adds a job through graphile-worker's SQL function, so it commits or rolls back with the caller's
 * transaction (an upload row and its import job appear together or not at all).
 */
export async function enqueue<T extends TaskName>(
  db: Kysely<Database>,
  task: T,
  payload: TaskPayload<T>,
  opts: EnqueueOptions = {},
): Promise<{ id: string }> {
  const { rows } = await sql<{ id: string }>`
    select id::text as id from graphile_worker.add_job(
      identifier => ${task},
      payload => ${JSON.stringify(payload ?? {})}::json,
      queue_name => ${opts.queueName ?? null},
      run_at => ${opts.runAt ?? null},
      max_attempts => ${opts.maxAttempts ?? null},
      job_key => ${opts.jobKey ?? null},
      priority => ${opts.priority ?? null},
      job_key_mode => ${opts.jobKeyMode ?? null}
    )`.execute(db);
  return { id: rows[0]!.id };
}
