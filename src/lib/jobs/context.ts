import type { Kysely } from "kysely";
import type pg from "pg";
import { createDb } from "../db/pool";
import type { Database } from "../db/schema";

export interface TaskContext {
  db: Kysely<Database>;
  pool: pg.Pool;
  workerId: string;
  /** True once the worker was asked to stop: long tasks hand their work back. */
  stopping: () => boolean;
}

let current: TaskContext | undefined;
let stopping = false;

/** Set by startWorker: tasks reach the database through the worker's own pool. */
export function setTaskContext(pool: pg.Pool, workerId: string): void {
  stopping = false;
  current = { db: createDb(pool), pool, workerId, stopping: () => stopping };
}

export function markStopping(): void {
  stopping = true;
}

export function taskContext(): TaskContext {
  if (!current) throw new Error("No worker is running in this process.");
  return current;
}
