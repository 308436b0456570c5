import { EventEmitter } from "node:events";
import os from "node:os";
import { randomBytes } from "node:crypto";
import type pg from "pg";
import type { Config } from "../config/env";
import { Logger, run, type Runner, type Worker, type WorkerEvents } from "graphile-worker";
import { deadAfterSeconds, recoverFromDeadWorkers, releaseLostJobs } from "../queue/recovery";
import { changeLog, createLog, type Log } from "../util/log";
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
  /** The current runner's id (a new one after the runner is restarted). */
  readonly workerId: string;
  stop(): Promise<void>;
}

/** graphile-worker's own log lines; the same complaint repeated (a retry loop) is written once a minute. */
function bridgeLogger(log: Log): Logger {
  const lastSeen = new Map<string, number>();
  return new Logger(() => (level, message) => {
    if (level === "error" || level === "warning") {
      const key = message.replace(/\d+(\.\d+)?/g, "#").slice(0, 80);
      const now = Date.now();
      if (now - (lastSeen.get(key) ?? 0) < 60_000) return log.debug(message);
      // A worker runs for months: complaints older than the window are forgotten, not kept forever.
      if (lastSeen.size > 500) for (const [k, at] of lastSeen) if (now - at >= 60_000) lastSeen.delete(k);
      lastSeen.set(key, now);
    }
    if (level === "error") log.error(message);
    else if (level === "warning") log.warn(message);
    else if (level === "info") log.info(message);
    else log.debug(message);
  });
}

/**
 * A promise rejected with nobody to catch it — graphile-worker's retry of a job's end against a
 * lost database does this — would end the process. A worker rides out an outage instead: the line
 * is logged once and the runner supervisor restarts what stopped.
 */
export function keepRunningOnRejection(log: Log): void {
  const seen = changeLog(log);
  process.on("unhandledRejection", (reason) => {
    const msg = reason instanceof Error ? reason.message : String(reason);
    seen(msg.replace(/\d+/g, "#"), "warn", `unhandled error, carrying on: ${msg}`);
  });
}

/** One runner and the ids graphile-worker gave its job loops: a new generation after each restart. */
interface Generation {
  workerId: string;
  runner: Runner;
  runnerIds: string[];
  loops: Worker[];
}

const newWorkerId = () => `${os.hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;

/** Backoff while the database is away: 1 s, doubling, at most 30 s. */
const RECONNECT_MAX_MS = 30_000;

/**
 * Starts a graphile-worker runner on the shared queue, with a heartbeat that (1) tells health
 * checks and `liner doctor` a worker is alive, and (2) frees what dead workers hold: their jobs,
 * their runs, their claims (src/lib/queue/recovery.ts). The runner is supervised: when it stops by
 * itself (graphile-worker stops a runner that cannot write a job's end to a lost database), the
 * worker waits for the database with backoff, frees what that runner held, and starts a new one.
 * Nothing here exits the process because the database went away.
 */
export async function startWorker(opts: WorkerOptions): Promise<RunningWorker> {
  const log = opts.log ?? createLog("worker");
  const { pool, concurrency } = opts;
  const deadSeconds = deadAfterSeconds(opts.heartbeatSeconds);
  const dbState = changeLog(log);
  let stopping = false;
  let current: Generation | undefined;

  const beat = async (gen: Generation) => {
    await pool.query(
      `insert into worker_heartbeats (worker_id, hostname, pid, concurrency, runner_ids)
       values ($1, $2, $3, $4, $5)
       on conflict (worker_id) do update set last_seen_at = now(), runner_ids = excluded.runner_ids`,
      [gen.workerId, os.hostname(), process.pid, concurrency, gen.runnerIds],
    );
  };

  const startGeneration = async (): Promise<Generation> => {
    const workerId = newWorkerId();
    const runnerIds: string[] = [];
    const loops: Worker[] = [];
    const events: WorkerEvents = new EventEmitter();
    // Jobs are locked in the pool's name (get_job with the pool's id); its loops have ids too.
    events.on("pool:create", ({ workerPool }) => {
      runnerIds.push(workerPool.id);
    });
    events.on("worker:create", ({ worker }) => {
      runnerIds.push(worker.workerId);
      loops.push(worker);
    });
    setTaskContext(pool, workerId);
    const runner = await run({
      pgPool: pool,
      taskList,
      concurrency,
      // Liner's own process decides when to stop, so shutdown happens in order.
      noHandleSignals: true,
      pollInterval: 2000,
      crontab: opts.crontab ?? "",
      logger: bridgeLogger(log),
      events,
    });
    const gen = { workerId, runner, runnerIds, loops };
    await beat(gen);
    runner.promise.then(
      () => void onRunnerEnded(gen, null),
      (err: Error) => void onRunnerEnded(gen, err),
    );
    return gen;
  };

  /** The runner stopped without being asked: wait for the database, free what it held, start anew. */
  const onRunnerEnded = async (gen: Generation, err: Error | null) => {
    if (stopping || current !== gen) return;
    current = undefined;
    log.warn(`job runner ${gen.workerId} stopped by itself${err ? ` (${err.message})` : ""}: restarting it when the database answers`);
    for (let delay = 1000; !stopping; delay = Math.min(delay * 2, RECONNECT_MAX_MS)) {
      try {
        await pool.query("select 1");
        // Its jobs and runs are known dead: freed now, not after they look stale.
        await recoverFromDeadWorkers(pool, deadSeconds, gen.runnerIds, [gen.workerId]);
        if (stopping) return;
        current = await startGeneration();
        dbState("up", "info", `job runner restarted as ${current.workerId}`);
        return;
      } catch (e) {
        dbState("down", "warn", `database unreachable (${(e as Error).message}); retrying with backoff up to ${RECONNECT_MAX_MS / 1000} s`);
        await new Promise((r) => setTimeout(r, delay).unref());
      }
    }
  };

  current = await startGeneration();
  const timer = setInterval(() => {
    const gen = current;
    if (!gen || stopping) return;
    const active = gen.loops.flatMap((w) => w.getActiveJob()?.id ?? []);
    beat(gen)
      .then(async () => {
        const lost = await releaseLostJobs(pool, gen.runnerIds, active, deadSeconds);
        if (lost) log.warn(`handed back ${lost} job(s) whose end could not be written while the database was away`);
        return recoverFromDeadWorkers(pool, deadSeconds);
      })
      .then((r) => {
        dbState("up", "info", "database reachable");
        if (r.jobsUnlocked || r.runsInterrupted) {
          log.warn(`freed ${r.jobsUnlocked} job(s) and closed ${r.runsInterrupted} run(s) left by stopped worker(s)${r.deadWorkers.length ? ` (${r.deadWorkers.join(", ")})` : ""}`);
        }
      })
      .catch((err: Error) => dbState("down", "warn", `heartbeat failed, database unreachable? (${err.message}); retrying every ${opts.heartbeatSeconds} s`));
  }, opts.heartbeatSeconds * 1000);
  timer.unref();
  log.info(`worker ${current.workerId} started (concurrency ${concurrency})`);

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      stopping = true;
      clearInterval(timer);
      // Running enrich batches see this, stop starting calls, save and re-enqueue the rest.
      markStopping();
      const gen = current;
      if (!gen) return;
      const bound = (opts.shutdownSeconds ?? 30) * 1000;
      let timedOut = false;
      await Promise.race([
        gen.runner.stop().catch(() => undefined),
        new Promise<void>((r) => setTimeout(() => ((timedOut = true), r()), bound).unref()),
      ]);
      if (timedOut) log.warn(`jobs still running after ${bound / 1000} s: leaving them to be picked up again`);
      await pool.query("delete from worker_heartbeats where worker_id = $1", [gen.workerId]).catch(() => undefined);
      log.info(`worker ${gen.workerId} stopped`);
    })());
  return {
    get workerId() {
      return current?.workerId ?? "";
    },
    stop,
  };
}
