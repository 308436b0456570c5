import type pg from "pg";
import type { Config } from "../config/env";
import { createDb } from "../db/pool";
import { enqueue } from "../queue/enqueue";
import { checkHealth, healthOptions } from "./health";

export interface Finding {
  check: string;
  ok: boolean;
  detail: string;
  /** What to do about it, as a command or a step, when not ok. */
  fix?: string;
}

/** Waits for a worker to run a `ping` job: proves queue → worker → database end to end. */
export async function pingThroughQueue(pool: pg.Pool, timeoutMs: number): Promise<number | null> {
  const db = createDb(pool);
  const note = `doctor-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const started = Date.now();
  await enqueue(db, "ping", { note });
  while (Date.now() - started < timeoutMs) {
    const { rows } = await pool.query<{ note: string }>("select value->>'note' as note from app_state where key = 'ping'");
    if (rows[0]?.note === note) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 100));
  }
  return null;
}

export async function runDoctor(
  config: Config,
  pool: pg.Pool,
  opts: { ping: boolean; pingTimeoutMs?: number } = { ping: true },
): Promise<Finding[]> {
  const findings: Finding[] = [
    {
      check: "configuration",
      ok: true,
      detail: config.embeddedDatabase ? "valid; embedded PostgreSQL (DATABASE_URL unset)" : "valid; DATABASE_URL set",
    },
  ];
  const health = await checkHealth(pool, healthOptions(config));
  findings.push({
    check: "database",
    ok: health.database.ok,
    detail: health.checks.find((c) => c.name === "database")!.message,
    fix: "Check DATABASE_URL (host, port, user, password), or unset it to use the embedded database.",
  });
  findings.push({
    check: "migrations",
    ok: health.migrations.ok,
    detail: health.checks.find((c) => c.name === "migrations")!.message,
    fix: health.migrations.edited.length
      ? "Restore the edited migration files from git; put changes in a new numbered migration."
      : "Run `liner migrate` (npm start does it on start).",
  });
  const creds = Boolean(config.SPOTIFY_CLIENT_ID && config.SPOTIFY_CLIENT_SECRET);
  findings.push({
    check: "spotify credentials",
    ok: creds,
    detail: creds
      ? `client id set; accounts ${config.SPOTIFY_ACCOUNTS_BASE_URL}, API ${config.SPOTIFY_API_BASE_URL}`
      : `missing ${[!config.SPOTIFY_CLIENT_ID && "SPOTIFY_CLIENT_ID", !config.SPOTIFY_CLIENT_SECRET && "SPOTIFY_CLIENT_SECRET"].filter(Boolean).join(" and ")}`,
    fix:
      "Create an app at https://developer.spotify.com/dashboard, add the redirect URI " +
      `${config.appUrl}/api/auth/callback, and set SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET.`,
  });
  findings.push({
    check: "worker",
    ok: health.worker.ok,
    detail: health.checks.find((c) => c.name === "worker")!.message,
    fix: "Start Liner with `npm start`, or a worker with `liner worker` (any machine with the same DATABASE_URL).",
  });
  if (opts.ping && health.worker.ok && health.migrations.ok) {
    const ms = await pingThroughQueue(pool, opts.pingTimeoutMs ?? 15_000);
    findings.push({
      check: "queue round trip",
      ok: ms !== null,
      detail: ms !== null ? `a worker ran a ping job in ${ms} ms` : "no worker ran a ping job within 15 s",
      fix: "Workers are registered but not taking jobs: check their logs, or restart them.",
    });
  }
  return findings;
}
