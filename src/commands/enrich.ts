import { parseArgs } from "node:util";
import { ensureTokenKey } from "../lib/crypto/token-crypto";
import type { Config } from "../lib/config/env";
import { openDatabase } from "../lib/db/connect";
import { migrate } from "../lib/db/migrations";
import { enrichListens, type EnrichStats } from "../lib/enrichment/enrich-listens";
import { progressWriter, renderBar } from "../lib/util/progress";
import { commandSpecs } from "./specs";

const usage = `Usage: ${commandSpecs.enrich.usage}`;

/**
 * `liner enrich`: one pass of enrichment in the foreground — one batch for the given person, or
 * for every eligible person in turn — with a progress bar. For installs without workers.
 */
export async function enrichCommand(config: Config, args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: commandSpecs.enrich.options });
  const batchSize = values["batch-size"] === undefined ? config.ENRICH_BATCH_SIZE : Number(values["batch-size"]);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1000) {
    console.error(`--batch-size: expected a whole number from 1 to 1000 (got "${values["batch-size"]}")\n${usage}`);
    return 2;
  }
  if (!config.SPOTIFY_CLIENT_ID || !config.SPOTIFY_CLIENT_SECRET) {
    console.error("liner enrich: Spotify is not configured — set SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET (see `liner doctor`).");
    return 1;
  }
  const key = await ensureTokenKey(config);
  const database = await openDatabase(config, { embedded: "start", poolSize: 3 });
  try {
    await migrate(database.pool);
    let userId: string | undefined;
    if (values.user) {
      const user = await database.db.selectFrom("users").select("id").where("spotify_id", "=", values.user).executeTakeFirst();
      if (!user) {
        console.error(`liner enrich: no user with Spotify id "${values.user}".`);
        return 1;
      }
      userId = user.id;
    }
    const write = progressWriter(process.stderr);
    const runs: EnrichStats[] = await enrichListens(
      { db: database.db, config, tokenKey: key, workerId: "cli" },
      {
        userId,
        batchSize,
        trigger: "cli",
        onProgress: (p) => write(`user ${p.userId} ${renderBar(p.total ? p.done / p.total : 1)} ${p.done}/${p.total} tracks`),
      },
    );
    write("", true);
    if (runs.length === 0) {
      console.log("Nothing to enrich: nobody with a valid Spotify connection has pending listens.");
      return 0;
    }
    for (const r of runs) {
      console.log(
        `user ${r.userId}: ${r.status} — ${r.enriched} matched, ${r.notFound} not found, ${r.failed} failed; ` +
          `${r.listensUpdated + r.listensFromCatalogue} listens filled in (${r.listensFromCatalogue} from the catalogue), ` +
          `${r.apiCalls} API calls, ${r.remaining} tracks left${r.resumeAt ? `; resumes at ${r.resumeAt.toISOString()}` : ""}${r.error ? `\n  ${r.error}` : ""}`,
      );
    }
    return runs.some((r) => r.status === "failed") ? 1 : 0;
  } finally {
    await database.close();
  }
}
