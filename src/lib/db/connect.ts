import type { Kysely } from "kysely";
import type pg from "pg";
import type { Config } from "../config/env";
import { dataDir } from "../util/paths";
import { openEmbeddedPostgres, type EmbeddedPostgres } from "./embedded";
import { closeDb, createDb, createPool } from "./pool";
import type { Database } from "./schema";

export interface OpenDatabase {
  url: string;
  pool: pg.Pool;
  db: Kysely<Database>;
  embedded?: EmbeddedPostgres;
  close(): Promise<void>;
}

export interface OpenOptions {
  /**
   * "start": start the embedded PostgreSQL when DATABASE_URL is unset (serve, migrate);
   * "attach": only connect to one a running `liner serve` started (worker, status, doctor).
   */
  embedded: "start" | "attach";
  poolSize?: number;
  log?: (line: string, level?: "info" | "warn") => void;
}

/** The database a command works on: DATABASE_URL when set, otherwise Liner's embedded one. */
export async function openDatabase(config: Config, opts: OpenOptions): Promise<OpenDatabase> {
  let embedded: EmbeddedPostgres | undefined;
  let url = config.DATABASE_URL;
  if (url === undefined) {
    embedded = await openEmbeddedPostgres({
      dir: dataDir(config.LINER_DATA_DIR),
      port: config.EMBEDDED_PG_PORT,
      attachOnly: opts.embedded === "attach",
      log: opts.log,
    });
    url = embedded.url;
  }
  const pool = createPool(url, opts.poolSize);
  const db = createDb(pool);
  let closing: Promise<void> | undefined;
  return {
    url,
    pool,
    db,
    embedded,
    close: () =>
      (closing ??= (async () => {
        await closeDb(db, pool);
        await embedded?.stop();
      })()),
  };
}
