import { parseArgs } from "node:util";
import type { Config } from "../lib/config/env";
import { ensureTokenKey } from "../lib/crypto/token-crypto";
import { openDatabase } from "../lib/db/connect";
import { migrate } from "../lib/db/migrations";
import { sweepPartialUploads } from "../lib/imports/sweep-uploads";
import { uploadsDir } from "../lib/imports/uploads";
import { redactUrl } from "../lib/db/pool";
import { keepRunningOnRejection, startWorker, workerSettings, type RunningWorker } from "../lib/jobs/worker";
import { checkAlerts } from "../lib/monitoring/alerts";
import { createLog } from "../lib/util/log";
import { projectRoot } from "../lib/util/paths";
import { ensureWebBuild } from "../lib/web/build";
import { startWebServer, type WebServer } from "../lib/web/server";
import { onShutdownSignal } from "./lifecycle";
import { commandSpecs } from "./specs";

/** `liner serve` (`npm start`): the whole install in one process tree. */
export async function serve(config: Config, args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: commandSpecs.serve.options });
  const log = createLog("serve", config.LOG_LEVEL);
  // The web app, the worker and the database ride out a database outage: nothing here exits for it.
  keepRunningOnRejection(log);
  const root = projectRoot();
  // Before anything starts: without a key no token can be stored or read.
  await ensureTokenKey(config);

  const database = await openDatabase(config, { embedded: "start", log: (l, level) => (level === "warn" ? log.warn(l) : log.info(l)) });
  let worker: RunningWorker | undefined;
  let web: WebServer | undefined;
  const force = async () => {
    await database.embedded?.stop();
  };
  onShutdownSignal({
    log,
    boundMs: (config.WORKER_SHUTDOWN_SECONDS + 15) * 1000,
    force,
    shutdown: async () => {
      await web?.close();
      await worker?.stop();
      await database.close();
    },
  });

  try {
    log.info(
      database.embedded
        ? `Embedded PostgreSQL on 127.0.0.1:${database.embedded.port} (data in ${database.embedded.dataDir})`
        : `Using DATABASE_URL ${redactUrl(database.url)}`,
    );
    const { applied } = await migrate(database.pool);
    log.info(applied.length ? `Applied migrations: ${applied.join(", ")}` : "Database schema is up to date.");
    // Files a crashed web process was still receiving: nobody will import them.
    const swept = await sweepPartialUploads(database.db, uploadsDir(config));
    if (swept.length) log.warn(`Removed ${swept.length} partial upload file(s) left by a stopped web process.`);
    if (!values["no-worker"]) {
      worker = await startWorker({
        pool: database.pool,
        concurrency: config.WORKER_CONCURRENCY,
        ...workerSettings(config),
        log: createLog("worker", config.LOG_LEVEL),
      });
    }
    await ensureWebBuild(root, (l) => log.info(l));
    // Route handlers read the database from the environment, embedded or not.
    process.env.DATABASE_URL = database.url;
    // Route handlers read the same environment as this process: the one .env file `liner` loaded
    // (src/lib/config/env-file.ts) under what was already set. Next.js would otherwise read its own
    // .env, .env.local and .env.production from the project folder on top — another set of values.
    // This is the flag Next sets itself once it has processed the env files for a process.
    process.env.__NEXT_PROCESSED_ENV = "true";
    web = await startWebServer({ root, host: config.HOST, port: config.PORT });
    log.info(`Liner is up: ${config.appUrl} (health: ${config.appUrl}/api/health)`);
    if (values["no-worker"]) {
      // Workers check alerts on their crontab; a web-only process checks too, so that "no worker
      // alive" is reported even when every worker is gone (the state change is atomic: one alert).
      setInterval(() => {
        checkAlerts(database.pool, config).catch((err: Error) => log.warn(`alert check failed: ${err.message}`));
      }, 60_000).unref();
    }
  } catch (err) {
    await web?.close().catch(() => undefined);
    await worker?.stop().catch(() => undefined);
    await database.close();
    throw err;
  }
  // Runs until a signal; onShutdownSignal exits the process.
  return new Promise<number>(() => undefined);
}
