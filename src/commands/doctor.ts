import { parseArgs } from "node:util";
import type { Config } from "../lib/config/env";
import { openDatabase } from "../lib/db/connect";
import { runDoctor } from "../lib/monitoring/doctor";
import { commandSpecs } from "./specs";

/** `liner doctor`: every check, and what to do about each that fails. Exit 1 when any fails. */
export async function doctor(config: Config, args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: commandSpecs.doctor.options });
  let database;
  try {
    database = await openDatabase(config, { embedded: "attach", poolSize: 2 });
  } catch (err) {
    console.log(`✗ database: ${(err as Error).message}`);
    return 1;
  }
  try {
    const findings = await runDoctor(config, database.pool, { ping: !values["no-ping"] });
    for (const f of findings) {
      console.log(`${f.ok ? "✓" : "✗"} ${f.check}: ${f.detail}`);
      if (!f.ok && f.fix) console.log(`    fix: ${f.fix}`);
    }
    const failed = findings.filter((f) => !f.ok).length;
    console.log(failed ? `\n${failed} problem(s) found.` : "\nEverything looks right.");
    return failed ? 1 : 0;
  } finally {
    await database.close();
  }
}
