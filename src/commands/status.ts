import { parseArgs } from "node:util";
import type { Config } from "../lib/config/env";
import { openDatabase } from "../lib/db/connect";
import { checkHealth, healthOptions } from "../lib/monitoring/health";
import { commandSpecs } from "./specs";

/** `liner status`: the same report as GET /api/health, for a terminal. Exit 1 when not ok. */
export async function status(config: Config, args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: commandSpecs.status.options });
  let database;
  try {
    database = await openDatabase(config, { embedded: "attach", poolSize: 2 });
  } catch (err) {
    console.error(`database: ${(err as Error).message}`);
    return 1;
  }
  try {
    const report = await checkHealth(database.pool, healthOptions(config));
    if (values.json) {
      console.log(JSON.stringify(report, null, 2));
    } else {
      console.log(`Liner: ${report.status}`);
      for (const c of report.checks) console.log(`  ${c.ok ? "ok  " : "FAIL"}  ${c.name.padEnd(10)} ${c.message}`);
      if (report.queue) console.log(`  queue       ${report.queue.ready} ready, ${report.queue.locked} running`);
    }
    return report.status === "ok" ? 0 : 1;
  } finally {
    await database.close();
  }
}
