import type pg from "pg";
import type { Config } from "../config/env";
import { migrationStatus } from "../db/migrations";
import { deadAfterSeconds, stuckJobs } from "../queue/recovery";
import { RECONNECT_WARNING_DAYS, REFRESH_TOKEN_LIFETIME_MONTHS } from "../spotify/connection";

export interface HealthCheck {
  name: "database" | "migrations" | "worker" | "jobs" | "enrichment" | "runs" | "spotify";
  ok: boolean;
  message: string;
}

export interface HealthReport {
  status: "ok" | "warning";
  checkedAt: string;
  database: { ok: boolean; latencyMs: number | null; serverVersion: string | null; error: string | null };
  migrations: { ok: boolean; applied: number; pending: string[]; edited: string[] };
  worker: { ok: boolean; alive: number; lastSeenAt: string | null; concurrency: number };
  /** `stuck`: jobs still locked by a worker that stopped (freed by a live worker within a minute). */
  queue: { ready: number; locked: number; stuck: number; stuckSince: string | null } | null;
  /** Spotify connections: informational, they never make the install unhealthy. */
  connections: { valid: number; reconnectSoon: number; needReconnect: number } | null;
  enrichment: {
    pendingListens: number;
    lastSuccessAt: string | null;
    pausedUntil: string | null;
    recentFailures: number;
    /** Spotify has been failing (5xx, timeouts…) since then; enrichment backs off and retries by itself. */
    spotifyUnavailableSince: string | null;
  } | null;
  checks: HealthCheck[];
}

export interface HealthOptions {
  /** A worker counts as alive when its heartbeat is at most this old. */
  aliveWithinSeconds: number;
  /** A worker whose heartbeat is older than this is dead: the jobs it holds are stuck. */
  deadWorkerSeconds?: number;
  /** Pending work and no successful run for this long is a warning (the guide's "has not run recently"). */
  staleAfterMs?: number;
  /** The Spotify app, whose quota pause is not a fault. */
  clientId?: string;
}

/** Health options from the configuration: what every caller uses. */
export function healthOptions(config: Config): HealthOptions {
  return { aliveWithinSeconds: config.WORKER_ALIVE_WITHIN_SECONDS, deadWorkerSeconds: deadAfterSeconds(config.WORKER_HEARTBEAT_SECONDS), staleAfterMs: config.ENRICH_STALE_AFTER, clientId: config.SPOTIFY_CLIENT_ID };
}

/** This many finished runs in a row failing is a warning. */
const FAILING_RUNS = 5;

/** Spotify failing for longer than this is a warning; a shorter blip is only reported. */
export const SPOTIFY_UNAVAILABLE_WARN_MS = 15 * 60_000;

function duration(ms: number): string {
  const minutes = Math.max(1, Math.round(ms / 60_000));
  if (minutes < 120) return `${minutes} minute${minutes === 1 ? "" : "s"}`;
  return `${Math.round(minutes / 60)} hours`;
}

function message(err: unknown): string {
  const e = err as { code?: string; message?: string };
  if (e.code === "ECONNREFUSED") return "connection refused: is PostgreSQL running?";
  return e.message ?? String(err);
}

/**
 * What an operator needs first when something looks wrong: can we reach the database, is the
 * schema current, is any worker alive, how deep is the queue. Never throws.
 */
export async function checkHealth(pool: pg.Pool, opts: HealthOptions): Promise<HealthReport> {
  const report: HealthReport = {
    status: "ok",
    checkedAt: new Date().toISOString(),
    database: { ok: false, latencyMs: null, serverVersion: null, error: null },
    migrations: { ok: false, applied: 0, pending: [], edited: [] },
    worker: { ok: false, alive: 0, lastSeenAt: null, concurrency: 0 },
    queue: null,
    connections: null,
    enrichment: null,
    checks: [],
  };
  const started = performance.now();
  try {
    const { rows } = await pool.query<{ v: string }>("select current_setting('server_version') as v");
    report.database = {
      ok: true,
      latencyMs: Math.round((performance.now() - started) * 10) / 10,
      serverVersion: rows[0]?.v ?? null,
      error: null,
    };
  } catch (err) {
    report.database.error = message(err);
  }
  report.checks.push({
    name: "database",
    ok: report.database.ok,
    message: report.database.ok
      ? `PostgreSQL ${report.database.serverVersion} answered in ${report.database.latencyMs} ms`
      : `database unreachable: ${report.database.error}`,
  });

  if (report.database.ok) {
    try {
      const m = await migrationStatus(pool);
      report.migrations = {
        ok: m.pending.length === 0 && m.edited.length === 0,
        applied: m.applied.length,
        pending: m.pending,
        edited: m.edited,
      };
    } catch (err) {
      report.migrations.pending = [`(could not read: ${message(err)})`];
    }
    try {
      const { rows } = await pool.query<{ alive: string; last_seen: Date | null; concurrency: string | null }>(
        `select count(*) filter (where last_seen_at > now() - make_interval(secs => $1)) as alive,
                max(last_seen_at) as last_seen,
                sum(concurrency) filter (where last_seen_at > now() - make_interval(secs => $1)) as concurrency
           from worker_heartbeats`,
        [opts.aliveWithinSeconds],
      );
      const row = rows[0]!;
      report.worker = {
        ok: Number(row.alive) > 0,
        alive: Number(row.alive),
        lastSeenAt: row.last_seen ? row.last_seen.toISOString() : null,
        concurrency: Number(row.concurrency ?? 0),
      };
      const q = await pool.query<{ ready: string; locked: string }>(
        `select count(*) filter (where locked_at is null and run_at <= now()) as ready,
                count(*) filter (where locked_at is not null) as locked
           from graphile_worker.jobs`,
      );
      const stuck = await stuckJobs(pool, opts.deadWorkerSeconds ?? opts.aliveWithinSeconds);
      report.queue = { ready: Number(q.rows[0]!.ready), locked: Number(q.rows[0]!.locked), stuck: stuck.jobs, stuckSince: stuck.oldestLockedAt?.toISOString() ?? null };
      const c = await pool.query<{ valid: string; soon: string; dead: string }>(
        `select count(*) filter (where state = 'valid' and authorized_at + $1::interval > now()) as valid,
                count(*) filter (where state = 'valid' and authorized_at + $1::interval > now()
                                   and authorized_at + $1::interval <= now() + $2::interval) as soon,
                count(*) filter (where state <> 'valid' or authorized_at + $1::interval <= now()) as dead
           from spotify_tokens`,
        [`${REFRESH_TOKEN_LIFETIME_MONTHS} months`, `${RECONNECT_WARNING_DAYS} days`],
      );
      report.connections = {
        valid: Number(c.rows[0]!.valid),
        reconnectSoon: Number(c.rows[0]!.soon),
        needReconnect: Number(c.rows[0]!.dead),
      };
      const e = await pool.query<{ pending: string; last_success: Date | null; paused_until: Date | null; unavailable_since: Date | null; statuses: string[] | null }>(
        `select (select coalesce(sum(c.listens), 0) from listen_counts c
                  join spotify_tokens st on st.user_id = c.user_id and st.state = 'valid'
                 where c.kind = 'track' and c.status = 'pending') as pending,
                (select max(finished_at) from enrichment_runs where status in ('succeeded', 'partial')) as last_success,
                (select blocked_until from spotify_rate_state where client_id = $1 and blocked_until > now()
                    and blocked_reason = 'QUOTA_EXCEEDED') as paused_until,
                (select unavailable_since from spotify_rate_state where client_id = $1) as unavailable_since,
                (select array_agg(status) from (select status from enrichment_runs where finished_at is not null
                    and status not in ('skipped') order by id desc limit ${FAILING_RUNS}) r) as statuses`,
        [opts.clientId ?? ""],
      );
      const er = e.rows[0]!;
      const statuses = er.statuses ?? [];
      report.enrichment = {
        pendingListens: Number(er.pending),
        lastSuccessAt: er.last_success?.toISOString() ?? null,
        pausedUntil: er.paused_until?.toISOString() ?? null,
        spotifyUnavailableSince: er.unavailable_since?.toISOString() ?? null,
        recentFailures: statuses.length === FAILING_RUNS && statuses.every((s) => s === "failed") ? FAILING_RUNS : statuses.filter((s) => s === "failed").length,
      };
    } catch {
      // Before migrations the tables are missing; the migrations check already says so.
    }
  }
  if (report.enrichment && opts.staleAfterMs !== undefined) {
    const e = report.enrichment;
    const since = e.lastSuccessAt ? Date.now() - new Date(e.lastSuccessAt).getTime() : Infinity;
    // While Spotify is paused (quota) or failing, waiting is expected: the "spotify" check speaks of an outage.
    const stale = e.pendingListens > 0 && since > opts.staleAfterMs && !e.pausedUntil && !e.spotifyUnavailableSince;
    const hours = (opts.staleAfterMs / 3_600_000).toLocaleString("en-US", { maximumFractionDigits: 1 });
    report.checks.push({
      name: "enrichment",
      ok: !stale,
      message: e.pendingListens === 0
        ? "no listens waiting for enrichment"
        : e.pausedUntil
          ? `${e.pendingListens} listens waiting: paused by Spotify's daily quota until ${e.pausedUntil}`
          : e.spotifyUnavailableSince
            ? `${e.pendingListens} listens waiting: Spotify has been failing since ${e.spotifyUnavailableSince}; enrichment retries by itself`
            : stale
            ? `Enrichment has not run recently: ${e.pendingListens} listens waiting and no successful run in the last ${hours} h${e.lastSuccessAt ? ` (last ${e.lastSuccessAt})` : " (none yet)"} — is a worker running? See the run log.`
            : `${e.pendingListens} listens waiting; last successful run ${e.lastSuccessAt}`,
    });
    report.checks.push({
      name: "runs",
      ok: e.recentFailures < FAILING_RUNS,
      message: e.recentFailures >= FAILING_RUNS ? `the last ${FAILING_RUNS} enrichment runs failed — see the run log for their errors` : "enrichment runs are not failing",
    });
  }
  if (report.enrichment) {
    const since = report.enrichment.spotifyUnavailableSince;
    const failingMs = since ? Date.now() - new Date(since).getTime() : 0;
    report.checks.push({
      name: "spotify",
      ok: failingMs <= SPOTIFY_UNAVAILABLE_WARN_MS,
      message: !since
        ? "Spotify is answering"
        : `Spotify has been failing for ${duration(failingMs)} (since ${since}: server errors, timeouts or broken answers); enrichment waits, tries again by itself every few minutes and keeps every listen pending`,
    });
  }
  report.checks.push({
    name: "migrations",
    ok: report.migrations.ok,
    message: report.migrations.ok
      ? `${report.migrations.applied} migrations applied, none pending`
      : report.migrations.edited.length > 0
        ? `applied migrations were edited: ${report.migrations.edited.join(", ")}`
        : report.database.ok
          ? `pending migrations: ${report.migrations.pending.join(", ")} — run \`liner migrate\``
          : "unknown (no database)",
  });
  report.checks.push({
    name: "worker",
    ok: report.worker.ok,
    message: report.worker.ok
      ? `${report.worker.alive} worker process(es) alive`
      : report.worker.lastSeenAt
        ? `no worker alive (last seen ${report.worker.lastSeenAt}) — start one with \`liner worker\``
        : "no worker has ever run — start one with `liner worker`, or run `npm start`",
  });
  if (report.queue) {
    const { stuck, stuckSince } = report.queue;
    report.checks.push({
      name: "jobs",
      ok: stuck === 0,
      message: stuck === 0
        ? "no job is held by a stopped worker"
        : `${stuck} job(s) held by a worker that stopped (locked since ${stuckSince}): ${report.worker.ok ? "a live worker frees them within a minute" : "start a worker (`liner worker`) to free and finish them"}`,
    });
  }
  report.status = report.checks.every((c) => c.ok) ? "ok" : "warning";
  return report;
}

/** What anyone may see: the verdict and which checks fail — no versions, counts or messages. */
export interface PublicHealthReport {
  status: HealthReport["status"];
  checkedAt: string;
  failing: HealthCheck["name"][];
  checks: { name: HealthCheck["name"]; ok: boolean }[];
}

export function publicHealth(report: HealthReport): PublicHealthReport {
  return {
    status: report.status,
    checkedAt: report.checkedAt,
    failing: report.checks.filter((c) => !c.ok).map((c) => c.name),
    checks: report.checks.map((c) => ({ name: c.name, ok: c.ok })),
  };
}
