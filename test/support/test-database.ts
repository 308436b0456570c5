import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import pg from "pg";
import { inject } from "vitest";
import { closeDb, createDb, createPool } from "../../src/lib/db/pool";
import type { Database } from "../../src/lib/db/schema";
import { databaseUrl } from "./database-url";

export interface TestDatabase {
  name: string;
  url: string;
  pool: pg.Pool;
  db: Kysely<Database>;
  drop(): Promise<void>;
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: inject("adminDatabaseUrl") });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh database cloned from the migrated template: fast, and isolated from every other file. */
export async function createTestDatabase(opts: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const name = `liner_test_${randomBytes(5).toString("hex")}`;
  const from = opts.migrated === false ? "template0" : inject("templateDatabase");
  await admin((c) => c.query(`create database ${name} template ${from}`));
  const url = databaseUrl(inject("adminDatabaseUrl"), name);
  const pool = createPool(url, 5);
  const db = createDb(pool);
  return {
    name,
    url,
    pool,
    db,
    drop: async () => {
      await closeDb(db, pool);
      await admin((c) => c.query(`drop database if exists ${name} with (force)`));
    },
  };
}
