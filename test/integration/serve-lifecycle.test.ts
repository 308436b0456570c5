import { spawnSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HealthReport } from "../../src/lib/monitoring/health";
import { createTestDatabase, type TestDatabase } from "../support/test-database";
import { until } from "../support/wait";
import { freePort, runLiner, startLiner, waitForStatus, type LinerProcess } from "../support/liner-process";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stop(proc: LinerProcess, signal: NodeJS.Signals): Promise<number | null> {
  proc.child.kill(signal);
  return proc.exited;
}

describe("liner serve with the embedded PostgreSQL", () => {
  let dataDir: string;
  let env: Record<string, string>;
  let running: LinerProcess | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), "liner-serve-"));
    const port = await freePort();
    env = { LINER_DATA_DIR: dataDir, PORT: String(port), DATABASE_URL: "", LOG_LEVEL: "warn", METRICS_TOKEN: "lifecycle-test-token" };
  });
  afterAll(async () => {
    if (running && running.child.exitCode === null) await stop(running, "SIGKILL");
    await rm(dataDir, { recursive: true, force: true });
  });

  // The health report's details are for the metrics token (or an operator); anyone sees the status.
  const details = { authorization: "Bearer lifecycle-test-token" };
  const healthUrl = () => `http://127.0.0.1:${env.PORT}/api/health`;
  const postmasterPid = () => Number(readFileSync(path.join(dataDir, "pg", "postmaster.pid"), "utf8").split("\n")[0]);
  const embeddedUrl = () => {
    const state = JSON.parse(readFileSync(path.join(dataDir, "embedded-pg.json"), "utf8"));
    return `postgres://liner:${encodeURIComponent(state.password)}@127.0.0.1:${state.port}/liner`;
  };

  it("stops at once with one clear line for a bad value", () => {
    const r = runLiner(["serve"], { ...env, PORT: "not-a-port" });
    expect(r.code).toBe(78);
    expect(r.stderr.trim()).toBe('Invalid configuration: PORT — expected a port number (got "not-a-port")');
    expect(existsSync(path.join(dataDir, "pg"))).toBe(false);
  });

  it("starts everything, answers healthy, and passes doctor", { timeout: 180_000 }, async () => {
    running = startLiner(["serve"], env);
    const health = (await waitForStatus(healthUrl(), 200, running, 90_000, details)) as HealthReport;
    expect(health.status).toBe("ok");
    expect(health.database.ok).toBe(true);
    expect(health.migrations).toMatchObject({ ok: true, pending: [] });
    expect(health.worker.alive).toBe(1);

    const status = runLiner(["status"], env);
    expect(status.stdout).toMatch(/^Liner: ok/);
    expect(status.code).toBe(0);

    const doctor = runLiner(["doctor"], { ...env, SPOTIFY_CLIENT_ID: "id", SPOTIFY_CLIENT_SECRET: "secret" });
    expect(doctor.stdout).toMatch(/✓ queue round trip: a worker ran a ping job in \d+ ms/);
    expect(doctor.code).toBe(0);

    const client = new pg.Client({ connectionString: embeddedUrl() });
    await client.connect();
    await client.query("insert into users (spotify_id) values ('kept-across-restarts')");
    await client.end();
  });

  it("a PostgreSQL killed under it is started again; web and worker carry on", { timeout: 180_000 }, async () => {
    const before = postmasterPid();
    process.kill(before, "SIGKILL");
    await until(async () => /stopped unexpectedly/.test(running!.output()), 30_000, "serve to notice");
    await until(async () => existsSync(path.join(dataDir, "pg", "postmaster.pid")) && postmasterPid() !== before && alive(postmasterPid()), 60_000, "a new PostgreSQL");
    const health = (await waitForStatus(healthUrl(), 200, running!)) as { status: string };
    expect(health.status).toBe("ok");
    expect(running!.child.exitCode).toBeNull();
    await until(async () => /The embedded PostgreSQL is running again/.test(running!.output()), 30_000, "serve to say so");
  });

  it("SIGINT stops web, worker and PostgreSQL, leaving no process behind", { timeout: 60_000 }, async () => {
    const pid = postmasterPid();
    expect(alive(pid)).toBe(true);
    expect(await stop(running!, "SIGINT")).toBe(0);
    expect(alive(pid)).toBe(false);
    expect(running!.output()).not.toMatch(/password|secret/i);
  });

  it("a second start reuses the data, sweeps what a crashed upload left, and SIGTERM stops it too", { timeout: 120_000 }, async () => {
    // A 40 MB file a web process killed mid-upload left behind (its pid is gone; no upload row).
    const gone = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout;
    const orphan = path.join(dataDir, "uploads", `${os.hostname().replace(/[^A-Za-z0-9-]/g, "_")}.${gone}.${randomUUID()}.upload`);
    mkdirSync(path.dirname(orphan), { recursive: true });
    writeFileSync(orphan, Buffer.alloc(40 * 1024 * 1024));
    running = startLiner(["serve"], env);
    await waitForStatus(healthUrl(), 200, running);
    const client = new pg.Client({ connectionString: embeddedUrl() });
    await client.connect();
    const { rows } = await client.query("select spotify_id from users");
    await client.end();
    expect(rows.map((r) => r.spotify_id)).toEqual(["kept-across-restarts"]);
    expect(existsSync(orphan)).toBe(false);
    const pid = postmasterPid();
    expect(await stop(running, "SIGTERM")).toBe(0);
    expect(alive(pid)).toBe(false);
  });

  it("status and worker say plainly when the embedded database is not running", () => {
    const status = runLiner(["status"], env);
    expect(status.code).toBe(1);
    expect(status.stderr).toContain("embedded PostgreSQL is not running: start Liner first (npm start), or set DATABASE_URL");
  });
});

describe("liner serve with DATABASE_URL", () => {
  let t: TestDatabase;
  let dataDir: string;
  beforeAll(async () => {
    t = await createTestDatabase({ migrated: false });
    dataDir = await mkdtemp(path.join(os.tmpdir(), "liner-external-"));
  });
  afterAll(async () => {
    await t.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("migrates and uses that database, and starts no PostgreSQL of its own", { timeout: 120_000 }, async () => {
    const env = {
      DATABASE_URL: t.url,
      LINER_DATA_DIR: dataDir,
      PORT: String(await freePort()),
      LOG_LEVEL: "warn",
      TOKEN_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    };
    const proc = startLiner(["serve"], env);
    try {
      const health = (await waitForStatus(`http://127.0.0.1:${env.PORT}/api/health`, 200, proc)) as HealthReport;
      expect(health.status).toBe("ok");
      const { rows } = await t.pool.query("select count(*)::int as n from liner_migrations");
      expect(rows[0].n).toBeGreaterThan(0);
      const workers = await t.pool.query("select count(*)::int as n from worker_heartbeats");
      expect(workers.rows[0].n).toBe(1);
      expect(existsSync(path.join(dataDir, "pg"))).toBe(false);

      // A second worker process joins the same queue.
      const extra = startLiner(["worker", "--concurrency", "1"], env);
      const deadline = Date.now() + 30_000;
      let n = 1;
      while (n < 2 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        n = (await t.pool.query("select count(*)::int as n from worker_heartbeats")).rows[0].n;
      }
      expect(n).toBe(2);
      expect(await stop(extra, "SIGTERM")).toBe(0);
      const after = await t.pool.query("select count(*)::int as n from worker_heartbeats");
      expect(after.rows[0].n).toBe(1);
    } finally {
      if (proc.child.exitCode === null) expect(await stop(proc, "SIGINT")).toBe(0);
    }
  });
});
