import type { Kysely } from "kysely";
import type pg from "pg";
import { createDb } from "../db/pool";
import type { Database } from "../db/schema";

export interface TaskContext {
  db: Kysely<Database>;
  workerId: string;
}

let current: TaskContext | undefined;

/** Set by startWorker: tasks reach the database through the worker's own pool. */
export function setTaskContext(pool: pg.Pool, workerId: string): void {
  current = { db: createDb(pool), workerId };
}

export function taskContext(): TaskContext {
  if (!current) throw new Error("No worker is running in this process.");
  return current;
}
