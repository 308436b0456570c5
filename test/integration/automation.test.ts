import { writeFile } from "node:fs/promises";
import path from "node:path";
import { sql } from "kysely";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SESSION_COOKIE, createSession } from "../../src/lib/auth/sessions";
import type { Config } from "../../src/lib/config/env";
import { closeAppDb } from "../../src/lib/db/app-db";
import { enqueueEnrichForAll, enrichJobKey } from "../../src/lib/enrichment/triggers";
import { enqueue } from "../../src/lib/queue/enqueue";
import { startWorker, type RunningWorker } from "../../src/lib/jobs/worker";
import { createLog } from "../../src/lib/util/log";
import { generateCatalogue, startSpotifySimulator, type SimTrack, type SpotifySimulator } from "../spotify-sim";
import { generateExport } from "../spotify-sim/exports";
import { addListens, connectedUser, enrichConfig, statusCounts, useEnrichEnv } from "../support/enrichment";
import { until } from "../support/wait";
import { importAsUpload, scratchDir } from "../support/imports";
import { runLiner, runLinerAsync, startLiner } from "../support/liner-process";
import { APP_URL, call, loadApiRoutes, type RouteModule } from "../support/routes";
import { simulatorEnv } from "../support/spotify";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

const catalogue = generateCatalogue({ seed: "auto", artists: 30 });
const originals = [...catalogue.tracks.values()].filter((t) => t.variant === "original");
const artistOf = (t: SimTrack) => catalogue.artists.get(t.artistIds[0]!)!.name;
const asListen = (t: SimTrack) => ({ trackId: t.id, artist: artistOf(t), track: t.name });
const quiet = createLog("test", "error");

const jobs = async (t: TestDatabase) =>
  (
    await sql<{ task: string; key: string | null; payload: { userId?: string; trigger?: string } }>`
      select t.identifier as task, j.key, j.payload
        from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
       order by j.id`.execute(t.db)
  ).rows;
const runTriggers = async (t: TestDatabase) => (await t.db.selectFrom("enrichment_runs").select(["trigger", "user_id"]).orderBy("id").execute()).map((r) => r.trigger);

describe("automation: every trigger ends in enrichment", () => {
  let t: TestDatabase;
  let sim: SpotifySimulator;
  let config: Config;
  let env: Record<string, string>;
  let worker: RunningWorker | undefined;

  beforeAll(async () => {
    sim = await startSpotifySimulator({ catalogue, limits: { windowCalls: 10_000 } });
  });
  afterAll(() => sim.close());
  beforeEach(async () => {
    t = await createTestDatabase();
    config = enrichConfig(sim);
    env = useEnrichEnv(t, sim, config);
    delete process.env.CRON_SECRET;
    delete process.env.ENRICH_ON_UPLOAD;
    sim.resetLimits();
  });
  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
    await closeAppDb();
    await t.drop();
  });

  it("the schedule: enrich_all, as the crontab or pg_cron enqueues it, enriches every connected person once", async () => {
    const ann = await connectedUser(t, sim, config, "ann");
    const bob = await connectedUser(t, sim, config, "bob");
    const nobody = (await t.db.insertInto("users").values({ spotify_id: "nobody" }).returning("id").executeTakeFirstOrThrow()).id;
    await addListens(t, ann, originals.slice(0, 5).map(asListen));
    await addListens(t, bob, originals.slice(5, 10).map(asListen));
    await addListens(t, nobody, originals.slice(10, 12).map(asListen));
    // Two ticks before any worker runs: the per-person job keys coalesce them.
    expect(await enqueueEnrichForAll(t.db, "schedule")).toBe(2);
    expect(await enqueueEnrichForAll(t.db, "schedule")).toBe(2);
    expect((await jobs(t)).map((j) => j.key).sort()).toEqual([enrichJobKey(ann), enrichJobKey(bob)].sort());
    await sql`delete from graphile_worker._private_jobs`.execute(t.db);
    // A run a killed worker left "running" long ago: the tick closes it.
    await t.db.insertInto("enrichment_runs").values({ trigger: "schedule", user_id: ann, started_at: new Date(Date.now() - 3600_000), api_calls: "{}", rate_limited: "{}" }).execute();
    // What the crontab line and pg_cron both do: add_job('enrich_all') with no payload.
    await sql`select graphile_worker.add_job('enrich_all')`.execute(t.db);
    worker = await startWorker({ pool: t.pool, concurrency: 2, heartbeatSeconds: 5, log: quiet });
    await until(async () => (await statusCounts(t, ann)).enriched === 5 && (await statusCounts(t, bob)).enriched === 5, 20_000, "both enriched");
    expect(await statusCounts(t, nobody)).toEqual({ pending: 2 });
    expect(new Set(await runTriggers(t))).toEqual(new Set(["schedule"]));
    const abandoned = await t.db.selectFrom("enrichment_runs").select(["status", "error"]).orderBy("id").executeTakeFirstOrThrow();
    expect(abandoned).toEqual({ status: "failed", error: "the worker stopped during this run" });
  });

  it("the crontab line comes from ENRICH_CRON, and a bad schedule stops start-up with a clear line", async () => {
    const { workerSettings } = await import("../../src/lib/jobs/worker");
    const { loadConfig } = await import("../../src/lib/config/env");
    expect(workerSettings(loadConfig({})).crontab).toBe("0 * * * * enrich_all\n* * * * * check_alerts");
    expect(workerSettings(loadConfig({ ENRICH_CRON: "*/15 * * * *" })).crontab?.split("\n")[0]).toBe("*/15 * * * * enrich_all");
    expect(() => loadConfig({ ENRICH_CRON: "every hour" })).toThrow('Invalid configuration: ENRICH_CRON — expected a 5-field cron schedule, e.g. 0 * * * * (got "every hour")');
    expect(() => loadConfig({ ENRICH_CRON: "61 * * * *" })).toThrow(/ENRICH_CRON/);
  });

  it("after an upload: enrichment is enqueued with the import, and starts by itself", async () => {
    const ann = await connectedUser(t, sim, config, "ann");
    const entries = [...generateExport({ format: "extended-new", entries: 40, seed: "upload", tracks: catalogue.listenable().slice(0, 15) })];
    const file = path.join(await scratchDir(), "Streaming_History_Audio_2024.json");
    await writeFile(file, JSON.stringify(entries));
    const result = await importAsUpload(t, ann, file);
    expect(result.status).toBe("completed");
    expect((await jobs(t)).filter((j) => j.task === "enrich")).toEqual([{ task: "enrich", key: enrichJobKey(ann), payload: { userId: ann, trigger: "upload" } }]);
    worker = await startWorker({ pool: t.pool, concurrency: 1, heartbeatSeconds: 5, log: quiet });
    await until(async () => (await statusCounts(t, ann)).pending === undefined, 20_000, "the upload's listens enriched");
    expect((await runTriggers(t))[0]).toBe("upload");

    // Turned off, or for someone without a connection: no job.
    process.env.ENRICH_ON_UPLOAD = "false";
    await worker.stop();
    worker = undefined;
    // The run may have queued one more batch for the artists: start the next part from an empty queue.
    await sql`delete from graphile_worker._private_jobs`.execute(t.db);
    const again = [...generateExport({ format: "extended-new", entries: 10, seed: "upload-2", tracks: catalogue.listenable().slice(20, 25) })];
    await writeFile(file, JSON.stringify(again));
    await importAsUpload(t, ann, file);
    expect((await jobs(t)).filter((j) => j.task === "enrich")).toEqual([]);
    delete process.env.ENRICH_ON_UPLOAD;
    const carl = (await t.db.insertInto("users").values({ spotify_id: "carl" }).returning("id").executeTakeFirstOrThrow()).id;
    await importAsUpload(t, carl, file);
    expect((await jobs(t)).filter((j) => j.task === "enrich")).toEqual([]);
  });

  it("Enrich now: 202 with the job id, repeated clicks coalesce, 409 without a connection", async () => {
    const routes: RouteModule[] = await loadApiRoutes();
    const post = routes.find((r) => r.pattern === "/api/spotify/enrich")!.handlers.POST!;
    const ann = await connectedUser(t, sim, config, "ann");
    await addListens(t, ann, originals.slice(0, 3).map(asListen));
    const cookie = `${SESSION_COOKIE}=${(await createSession(t.db, ann)).token}`;
    const first = await call(post, "POST", "/api/spotify/enrich", { cookie, origin: APP_URL });
    expect(first.status).toBe(202);
    const second = await call(post, "POST", "/api/spotify/enrich", { cookie, origin: APP_URL });
    const [a, b] = [await first.json(), await second.json()];
    expect(a.jobId).toBe(b.jobId);
    expect(await jobs(t)).toHaveLength(1);
    worker = await startWorker({ pool: t.pool, concurrency: 1, heartbeatSeconds: 5, log: quiet });
    await until(async () => (await statusCounts(t, ann)).enriched === 3, 20_000, "manual enrichment");
    // One run for the tracks, maybe one more for what is left of the artists: all of them "manual".
    expect(new Set(await runTriggers(t))).toEqual(new Set(["manual"]));

    const carl = (await t.db.insertInto("users").values({ spotify_id: "carl" }).returning("id").executeTakeFirstOrThrow()).id;
    const refused = await call(post, "POST", "/api/spotify/enrich", { cookie: `${SESSION_COOKIE}=${(await createSession(t.db, carl)).token}`, origin: APP_URL });
    expect(refused.status).toBe(409);
    expect((await refused.json()).error).toBe("not_connected");
  });

  it("the cron endpoint: 503 without a secret, 401 with a wrong one, queued or inline with the right one", async () => {
    const ann = await connectedUser(t, sim, config, "ann");
    await addListens(t, ann, originals.slice(0, 4).map(asListen));
    const load = async () => (await loadApiRoutes()).find((r) => r.pattern === "/api/cron/enrich")!.handlers;
    let h = await load();
    expect((await call(h.GET!, "GET", "/api/cron/enrich")).status).toBe(503);
    await closeAppDb();
    process.env.CRON_SECRET = "s3cret-for-the-cron-endpoint";
    h = await load();
    for (const auth of [undefined, "Bearer nope", "s3cret-for-the-cron-endpoint", "Bearer s3cret-for-the-cron-endpoin"]) {
      const res = await call(h.POST!, "POST", "/api/cron/enrich", { headers: auth ? { authorization: auth } : {} });
      expect(res.status, String(auth)).toBe(401);
    }
    const queued = await call(h.GET!, "GET", "/api/cron/enrich", { headers: { authorization: "Bearer s3cret-for-the-cron-endpoint" } });
    expect(queued.status).toBe(202);
    expect(await queued.json()).toEqual({ mode: "queued", enqueued: 1 });
    expect((await jobs(t)).map((j) => j.payload)).toEqual([{ userId: ann, trigger: "cron-endpoint" }]);
    const inline = await call(h.POST!, "POST", "/api/cron/enrich?inline=1", { headers: { authorization: "Bearer s3cret-for-the-cron-endpoint" } });
    expect(inline.status).toBe(200);
    const body = await inline.json();
    expect(body.runs).toEqual([expect.objectContaining({ status: "succeeded", enriched: 4, remaining: 0 })]);
    expect(await runTriggers(t)).toEqual(["cron-endpoint"]);
  });

  it("liner enrich runs one pass in the foreground", { timeout: 60_000 }, async () => {
    const ann = await connectedUser(t, sim, config, "ann");
    await addListens(t, ann, originals.slice(0, 8).map(asListen));
    const r = await runLinerAsync(["enrich", "--user", "ann", "--batch-size", "5"], env);
    expect(r.stderr + r.stdout).toContain("5 matched, 0 not found, 0 failed");
    expect(r.stdout).toContain("3 tracks left");
    expect(r.code).toBe(0);
    expect(await runTriggers(t)).toEqual(["cli"]);
    const bad = runLiner(["enrich", "--batch-size", "lots"], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--batch-size: expected a whole number from 1 to 1000 (got "lots")');
  });

  /**
   * Three workers with two jobs each enrich three people (45 distinct tracks, overlapping) against a
   * simulator allowing 40 calls per 30 (scaled) seconds = 3 real seconds. Returns what it saw.
   */
  async function threeWorkersOnOneWindow(callsPerMinute: string) {
    const limited = await startSpotifySimulator({ catalogue, limits: { windowCalls: 40 }, timeScale: 10, accounts: { accessTokenSeconds: 10 * 365 * 86_400 } });
    const workers: RunningWorker[] = [];
    try {
      const c = enrichConfig(limited, { TOKEN_ENCRYPTION_KEY: config.TOKEN_ENCRYPTION_KEY! });
      Object.assign(process.env, simulatorEnv(limited), { SPOTIFY_CALLS_PER_MINUTE: callsPerMinute, SPOTIFY_CALL_BURST: "4", ENRICH_BATCH_SIZE: "10" });
      const people = [];
      for (const name of ["ann", "bob", "cid"]) people.push(await connectedUser(t, limited, c, name));
      for (const [i, id] of people.entries()) await addListens(t, id, originals.slice(i * 10, i * 10 + 25).map(asListen));
      for (let i = 0; i < 3; i++) workers.push(await startWorker({ pool: t.pool, concurrency: 2, heartbeatSeconds: 5, log: quiet }));
      await enqueueEnrichForAll(t.db, "schedule");
      await until(async () => {
        const { rows } = await sql<{ n: number }>`select count(*)::int as n from listens where enrichment_status = 'pending'`.execute(t.db);
        return rows[0]!.n === 0;
      }, 50_000, "everyone enriched");
      const fetched = limited.requestLog().filter((l) => l.endpoint === "tracks/{id}" && l.status === 200).map((l) => l.path);
      return { stats: limited.stats(), clientId: limited.clientId, fetched };
    } finally {
      for (const w of workers) await w.stop();
      await limited.close();
    }
  }

  it("three workers at once share one rate budget: under the window limit, every item fetched once", { timeout: 60_000 }, async () => {
    // 560 a minute and a burst of 4: 80 % of the window.
    const { stats, clientId, fetched } = await threeWorkersOnOneWindow("560");
    expect(stats.rateLimited).toEqual({ rate: 0, quota: 0 });
    expect(stats.maxCallsInWindow[clientId]).toBeLessThanOrEqual(40);
    expect(fetched.length).toBe(45);
    expect(new Set(fetched).size).toBe(45);
  });

  it("three workers whose settings describe the window exactly stay 10 % under it: no window 429", { timeout: 60_000 }, async () => {
    // The settings fill the window exactly (4 at once + 720 a minute × 3 s = 40): the shared margin
    // keeps every 30-s window at 90 % of it.
    const { stats, clientId } = await threeWorkersOnOneWindow("720");
    expect(stats.rateLimited).toEqual({ rate: 0, quota: 0 });
    expect(stats.maxCallsInWindow[clientId]).toBeLessThanOrEqual(38);
  });

  it("SIGTERM: a worker hands back its batch within the bound and exits cleanly", { timeout: 60_000 }, async () => {
    const ann = await connectedUser(t, sim, config, "ann");
    await addListens(t, ann, originals.slice(0, 120).map(asListen));
    sim.resetStats();
    sim.setFaults({ latencyMs: 40 });
    try {
      const proc = startLiner(["worker", "--concurrency", "1"], { ...env, ENRICH_BATCH_SIZE: "200", WORKER_SHUTDOWN_SECONDS: "5" });
      await enqueue(t.db, "enrich", { userId: ann, trigger: "manual" }, { jobKey: enrichJobKey(ann) });
      await until(async () => (sim.stats().byEndpoint["tracks/{id}"]?.[200] ?? 0) >= 15, 30_000, "the worker to be mid-batch");
      const stopAt = Date.now();
      proc.child.kill("SIGTERM");
      expect(await proc.exited).toBe(0);
      expect(Date.now() - stopAt).toBeLessThan(5_000);
    } finally {
      sim.setFaults({ latencyMs: 0 });
    }
    const run = await t.db.selectFrom("enrichment_runs").selectAll().executeTakeFirstOrThrow();
    expect(run.status).toBe("partial");
    expect(run.error).toContain("The worker is stopping");
    const states = await statusCounts(t, ann);
    expect(states.enriched).toBe(run.items_matched);
    expect(states.pending).toBe(120 - run.items_matched);
    // Handed back: the rest waits in the queue for any worker.
    expect((await jobs(t)).filter((j) => j.task === "enrich")).toEqual([{ task: "enrich", key: enrichJobKey(ann), payload: { userId: ann, trigger: "manual" } }]);
  });
});
