import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import type { Database } from "./schema";

// int8 and numeric arrive as strings: ids stay exact, and counts are parsed where they are read.
export function createPool(connectionString: string, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, application_name: "liner" });
  // An idle client losing its server (database restart) must not take the process down.
  pool.on("error", () => undefined);
  pool.on("connect", (client) => client.on("error", () => undefined));
  return pool;
}

export function createDb(pool: pg.Pool): Kysely<Database> {
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/** A connection string with the password hidden, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable database URL)";
  }
}

/**
 * Ends a Kysely instance and its pool. Kysely ends the pool only if it ran a query itself, and a
 * pool left open keeps the process alive until its idle clients time out.
 */
export async function closeDb(db: Kysely<Database>, pool: pg.Pool): Promise<void> {
  await db.destroy().catch(() => undefined);
  if (!pool.ending) await pool.end();
}
