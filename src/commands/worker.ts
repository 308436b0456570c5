import { parseArgs } from "node:util";
import type { Config } from "../lib/config/env";
import { ensureTokenKey } from "../lib/crypto/token-crypto";
import { openDatabase } from "../lib/db/connect";
import { migrationStatus } from "../lib/db/migrations";
import { keepRunningOnRejection, startWorker, workerSettings } from "../lib/jobs/worker";
import { createLog } from "../lib/util/log";
import { onShutdownSignal } from "./lifecycle";
import { commandSpecs } from "./specs";

/** `liner worker`: one more worker on the shared queue, on this machine or any other. */
export async function worker(config: Config, args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: commandSpecs.worker.options });
  const concurrency = values.concurrency === undefined ? config.WORKER_CONCURRENCY : Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32) {
    console.error(`--concurrency: expected a whole number from 1 to 32 (got "${values.concurrency}")\nUsage: ${commandSpecs.worker.usage}`);
    return 2;
  }
  const log = createLog("worker", config.LOG_LEVEL);
  keepRunningOnRejection(log);
  await ensureTokenKey(config);
  const database = await openDatabase(config, { embedded: "attach", poolSize: concurrency + 2 });
  const status = await migrationStatus(database.pool);
  if (status.pending.length > 0) {
    await database.close();
    console.error(`The database has pending migrations (${status.pending.join(", ")}): run \`liner migrate\` first.`);
    return 1;
  }
  // The handler goes in before the worker starts: its heartbeat is visible (and a SIGTERM may come)
  // while graphile-worker is still starting; the signal then stops it once it has started.
  const starting = startWorker({
    pool: database.pool,
    concurrency,
    ...workerSettings(config),
    log,
  });
  onShutdownSignal({
    log,
    boundMs: (config.WORKER_SHUTDOWN_SECONDS + 15) * 1000,
    force: async () => undefined,
    shutdown: async () => {
      const running = await starting.catch(() => undefined);
      await running?.stop();
      await database.close();
    },
  });
  try {
    await starting;
  } catch (err) {
    await database.close();
    throw err;
  }
  return new Promise<number>(() => undefined);
}
