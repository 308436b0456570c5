import type { Kysely } from "kysely";
import type pg from "pg";
import { loadConfig, type Config } from "../config/env";
import { closeDb, createDb, createPool } from "./pool";
import type { Database } from "./schema";

interface AppDb {
  config: Config;
  pool: pg.Pool;
  db: Kysely<Database>;
}

// Kept on globalThis so that Next.js's module reloading in development does not leak pools.
const holder = globalThis as typeof globalThis & { __linerAppDb?: AppDb };

/**
 * The web app's connection. `liner serve` sets DATABASE_URL (to the embedded database when the
 * operator did not set one) before Next.js starts, so routes only ever read the environment.
 */
export function appDb(): AppDb {
  if (!holder.__linerAppDb) {
    const config = loadConfig();
    if (!config.DATABASE_URL) {
      throw new Error("DATABASE_URL is not set: start the web app with `liner serve` (npm start).");
    }
    const pool = createPool(config.DATABASE_URL);
    holder.__linerAppDb = { config, pool, db: createDb(pool) };
  }
  return holder.__linerAppDb;
}

/** Closes the web app's pool (shutdown, and between test files that point it elsewhere). */
export async function closeAppDb(): Promise<void> {
  const current = holder.__linerAppDb;
  holder.__linerAppDb = undefined;
  if (current) await closeDb(current.db, current.pool);
}
