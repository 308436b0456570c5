import type pg from "pg";
import { migrationStatus } from "../db/migrations";
import { RECONNECT_WARNING_DAYS, REFRESH_TOKEN_LIFETIME_MONTHS } from "../spotify/connection";

export interface HealthCheck {
  name: "database" | "migrations" | "worker";
  ok: boolean;
  message: string;
}

export interface HealthReport {
  status: "ok" | "warning";
  checkedAt: string;
  database: { ok: boolean; latencyMs: number | null; serverVersion: string | null; error: string | null };
  migrations: { ok: boolean; applied: number; pending: string[]; edited: string[] };
  worker: { ok: boolean; alive: number; lastSeenAt: string | null; concurrency: number };
  queue: { ready: number; locked: number } | null;
  /** Spotify connections: informational, they never make the install unhealthy. */
  connections: { valid: number; reconnectSoon: number; needReconnect: number } | null;
  checks: HealthCheck[];
}

export interface HealthOptions {
  /** A worker counts as alive when its heartbeat is at most this old. */
  aliveWithinSeconds: number;
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
      report.queue = { ready: Number(q.rows[0]!.ready), locked: Number(q.rows[0]!.locked) };
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
    } catch {
      // Before migrations the tables are missing; the migrations check already says so.
    }
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
  report.status = report.checks.every((c) => c.ok) ? "ok" : "warning";
  return report;
}
