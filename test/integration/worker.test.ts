import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/lib/config/env";
import { enqueue } from "../../src/lib/queue/enqueue";
import { startWorker, type RunningWorker } from "../../src/lib/jobs/worker";
import { runDoctor, pingThroughQueue } from "../../src/lib/monitoring/doctor";
import { checkHealth } from "../../src/lib/monitoring/health";
import { createLog } from "../../src/lib/util/log";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

const quiet = createLog("test", "error");

describe("worker", () => {
  let t: TestDatabase;
  let worker: RunningWorker | undefined;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await worker?.stop();
    await t.drop();
  });

  it("health says no worker before one starts", async () => {
    const report = await checkHealth(t.pool, { aliveWithinSeconds: 60 });
    expect(report.database.ok).toBe(true);
    expect(report.migrations.ok).toBe(true);
    expect(report.worker).toMatchObject({ ok: false, alive: 0 });
    expect(report.status).toBe("warning");
    expect(report.checks.find((c) => c.name === "worker")?.message).toMatch(/liner worker/);
  });

  it("runs a job from the queue end to end and reports itself alive", async () => {
    worker = await startWorker({ pool: t.pool, concurrency: 1, heartbeatSeconds: 1, log: quiet });
    const ms = await pingThroughQueue(t.pool, 10_000);
    expect(ms).not.toBeNull();
    const { rows } = await t.pool.query("select value from app_state where key = 'ping'");
    expect(rows[0].value.jobId).toMatch(/^\d+$/);
    const report = await checkHealth(t.pool, { aliveWithinSeconds: 60 });
    expect(report.worker).toMatchObject({ ok: true, alive: 1, concurrency: 1 });
    expect(report.status).toBe("ok");
  });

  it("coalesces jobs that share a key", async () => {
    await worker!.stop();
    worker = undefined;
    await enqueue(t.db, "ping", { note: "a" }, { jobKey: "ping:same", runAt: new Date(Date.now() + 60_000) });
    await enqueue(t.db, "ping", { note: "b" }, { jobKey: "ping:same", runAt: new Date(Date.now() + 60_000) });
    const { rows } = await t.pool.query("select payload from graphile_worker._private_jobs where key = 'ping:same'");
    expect(rows).toHaveLength(1);
    expect(rows[0].payload).toEqual({ note: "b" });
  });

  it("removes its heartbeat when stopped, and doctor says what to fix", async () => {
    const report = await checkHealth(t.pool, { aliveWithinSeconds: 60 });
    expect(report.worker.ok).toBe(false);
    const findings = await runDoctor(loadConfig({ DATABASE_URL: t.url }), t.pool, { ping: true });
    const byName = Object.fromEntries(findings.map((f) => [f.check, f]));
    expect(byName.database?.ok).toBe(true);
    expect(byName.migrations?.ok).toBe(true);
    expect(byName["spotify credentials"]).toMatchObject({ ok: false, detail: "missing SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET" });
    expect(byName["spotify credentials"]?.fix).toContain("/api/auth/callback");
    expect(byName.worker?.ok).toBe(false);
    // No worker alive: the round trip is not attempted (it could only time out).
    expect(byName["queue round trip"]).toBeUndefined();
  });

  it("a malformed job payload fails that job, not the worker", async () => {
    worker = await startWorker({ pool: t.pool, concurrency: 1, heartbeatSeconds: 1, log: quiet });
    await t.pool.query("delete from graphile_worker._private_jobs");
    const bad = await enqueue(t.db, "ping", { note: 42 } as unknown as { note: string }, { maxAttempts: 1 });
    const deadline = Date.now() + 10_000;
    let row: { attempts: number; last_error: string | null } | undefined;
    while (Date.now() < deadline) {
      const r = await t.pool.query("select attempts, last_error from graphile_worker.jobs where id = $1", [bad.id]);
      row = r.rows[0];
      if (row && row.attempts > 0 && row.last_error) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    expect(row?.last_error).toMatch(/expected string/i);
    expect(await pingThroughQueue(t.pool, 10_000)).not.toBeNull();
  });
});
