import os from "node:os";
import { randomBytes } from "node:crypto";
import type pg from "pg";
import type { Config } from "../config/env";
import { Logger, run, type Runner } from "graphile-worker";
import { createLog, type Log } from "../util/log";
import { markStopping, setTaskContext } from "./context";
import { taskList } from "./task-list";

export interface WorkerOptions {
  pool: pg.Pool;
  concurrency: number;
  heartbeatSeconds: number;
  /** graphile-worker crontab lines (the enrichment schedule); none by default. */
  crontab?: string;
  /** A stop waits this long for running jobs, which hand their work back meanwhile. */
  shutdownSeconds?: number;
  log?: Log;
}

/** What a worker process takes from the configuration: heartbeat, the schedule, the shutdown bound. */
export function workerSettings(config: Config): Pick<WorkerOptions, "heartbeatSeconds" | "crontab" | "shutdownSeconds"> {
  return {
    heartbeatSeconds: config.WORKER_HEARTBEAT_SECONDS,
    crontab: `${config.ENRICH_CRON} enrich_all\n* * * * * check_alerts`,
    shutdownSeconds: config.WORKER_SHUTDOWN_SECONDS,
  };
}

export interface RunningWorker {
  workerId: string;
  runner: Runner;
  stop(): Promise<void>;
}

function bridgeLogger(log: Log): Logger {
  return new Logger(() => (level, message) => {
    if (level === "error") log.error(message);
    else if (level === "warning") log.warn(message);
    else if (level === "info") log.info(message);
    else log.debug(message);
  });
}

async function beat(pool: pg.Pool, workerId: string, concurrency: number): Promise<void> {
  await pool.query(
    `insert into worker_heartbeats (worker_id, hostname, pid, concurrency)
     values ($1, $2, $3, $4)
     on conflict (worker_id) do update set last_seen_at = now()`,
    [workerId, os.hostname(), process.pid, concurrency],
  );
}

/**
 * Starts a graphile-worker runner on the shared queue, and a heartbeat so that health checks and
 * `liner doctor` can tell whether any worker is alive.
 */
export async function startWorker(opts: WorkerOptions): Promise<RunningWorker> {
  const log = opts.log ?? createLog("worker");
  const workerId = `${os.hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
  await beat(opts.pool, workerId, opts.concurrency);
  setTaskContext(opts.pool, workerId);
  const runner = await run({
    pgPool: opts.pool,
    taskList,
    concurrency: opts.concurrency,
    // Liner's own process decides when to stop, so shutdown happens in order.
    noHandleSignals: true,
    pollInterval: 2000,
    crontab: opts.crontab ?? "",
    logger: bridgeLogger(log),
  });
  const timer = setInterval(() => {
    beat(opts.pool, workerId, opts.concurrency).catch((err: Error) => log.warn(`heartbeat failed: ${err.message}`));
  }, opts.heartbeatSeconds * 1000);
  timer.unref();
  log.info(`worker ${workerId} started (concurrency ${opts.concurrency})`);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      clearInterval(timer);
      // Running enrich batches see this, stop starting calls, save and re-enqueue the rest.
      markStopping();
      const bound = (opts.shutdownSeconds ?? 30) * 1000;
      let timedOut = false;
      await Promise.race([
        runner.stop(),
        new Promise<void>((r) => setTimeout(() => ((timedOut = true), r()), bound).unref()),
      ]);
      if (timedOut) log.warn(`jobs still running after ${bound / 1000} s: leaving them to be picked up again`);
      await opts.pool
        .query("delete from worker_heartbeats where worker_id = $1", [workerId])
        .catch(() => undefined);
      log.info(`worker ${workerId} stopped`);
    })());
  return { workerId, runner, stop };
}
