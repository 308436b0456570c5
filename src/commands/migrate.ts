import type { Config } from "../lib/config/env";
import { openDatabase } from "../lib/db/connect";
import { migrate as runMigrations } from "../lib/db/migrations";

/** `liner migrate`: brings the schema up to date (the embedded database is started if needed). */
export async function migrate(config: Config): Promise<number> {
  const database = await openDatabase(config, { embedded: "start" });
  try {
    const { applied } = await runMigrations(database.pool);
    console.log(applied.length ? `Applied: ${applied.join(", ")}` : "Nothing to apply: the schema is up to date.");
    return 0;
  } finally {
    await database.close();
  }
}
