import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enqueue } from "../../src/lib/queue/enqueue";
import { enrichJobKey } from "../../src/lib/enrichment/triggers";
import { startWorker, type RunningWorker } from "../../src/lib/jobs/worker";
import { createLog } from "../../src/lib/util/log";
import { checkHealth } from "../../src/lib/monitoring/health";
import { generateCatalogue, startSpotifySimulator, type SimTrack, type SpotifySimulator } from "../spotify-sim";
import { addListens, connectedUser, enrichConfig, statusCounts, useEnrichEnv } from "../support/enrichment";
import { until } from "../support/wait";
import { startLiner, type LinerProcess } from "../support/liner-process";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

const catalogue = generateCatalogue({ seed: "task", artists: 30 });
const originals = [...catalogue.tracks.values()].filter((t) => t.variant === "original");
const artistOf = (t: SimTrack) => catalogue.artists.get(t.artistIds[0]!)!.name;
const asListen = (t: SimTrack) => ({ trackId: t.id, artist: artistOf(t), track: t.name });

describe("the enrich task on a worker", () => {
  let t: TestDatabase;
  let sim: SpotifySimulator;
  let worker: RunningWorker | undefined;
  beforeAll(async () => {
    sim = await startSpotifySimulator({ catalogue, limits: { windowCalls: 10_000 } });
  });
  afterAll(async () => {
    await worker?.stop();
    await sim.close();
  });

  it("works through a backlog batch by batch, each batch a run, then stops", async () => {
    t = await createTestDatabase();
    const config = enrichConfig(sim);
    useEnrichEnv(t, sim, config, { ENRICH_BATCH_SIZE: "25" });
    const ann = await connectedUser(t, sim, config, "ann");
    await addListens(t, ann, originals.slice(0, 70).map(asListen));
    worker = await startWorker({ pool: t.pool, concurrency: 2, heartbeatSeconds: 5, log: createLog("test", "error") });
    await enqueue(t.db, "enrich", { userId: ann, trigger: "manual" }, { jobKey: enrichJobKey(ann) });
    await until(async () => (await statusCounts(t, ann)).enriched === 70, 30_000, "70 listens enriched");
    await until(async () => Number((await sql<{ n: number }>`select count(*)::int as n from graphile_worker.jobs`.execute(t.db)).rows[0]!.n) === 0, 10_000, "the queue to empty");
    const runs = await t.db.selectFrom("enrichment_runs").select(["trigger", "status", "items_attempted"]).orderBy("id").execute();
    expect(runs.length).toBeGreaterThanOrEqual(3);
    expect(runs.every((r) => r.trigger === "manual" && r.status === "succeeded")).toBe(true);
    expect(runs.slice(0, 2).map((r) => r.items_attempted)).toEqual([25, 25]);
    await worker.stop();
    worker = undefined;
    await t.drop();
  });

  it("artist-only batches go on at once: only a batch whose every item another run holds waits", { timeout: 60_000 }, async () => {
    t = await createTestDatabase();
    try {
      const config = enrichConfig(sim);
      useEnrichEnv(t, sim, config, { ENRICH_BATCH_SIZE: "4" });
      const ann = await connectedUser(t, sim, config, "ann");
      // Eight tracks by eight artists: two full track batches (so the artists wait for a batch of
      // their own), then artist pages four a batch.
      const byArtist = [...new Map(originals.filter((o) => o.artistIds.length === 1).map((o) => [o.artistIds[0], o])).values()].slice(0, 8);
      await addListens(t, ann, byArtist.map(asListen));
      worker = await startWorker({ pool: t.pool, concurrency: 1, heartbeatSeconds: 5, log: createLog("test", "error") });
      const started = Date.now();
      await enqueue(t.db, "enrich", { userId: ann, trigger: "manual" }, { jobKey: enrichJobKey(ann) });
      await until(async () => (await t.db.selectFrom("artists").select("id").where("fetched_at", "is not", null).execute()).length === 8, 30_000, "every artist fetched");
      // With a 5-second wait after each batch that resolved no track, this took over 10 s.
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      delete process.env.ENRICH_BATCH_SIZE;
      await worker?.stop();
      worker = undefined;
      await t.drop();
    }
  });

  it("after QUOTA_EXCEEDED, schedules itself for when the quota lifts and resumes by itself", async () => {
    const fast = await startSpotifySimulator({ catalogue, limits: { windowCalls: 10_000, dailyCalls: 6 }, timeScale: 28_800, accounts: { accessTokenSeconds: 10 * 365 * 86_400 } });
    t = await createTestDatabase();
    try {
      const config = enrichConfig(fast);
      useEnrichEnv(t, fast, config);
      const ann = await connectedUser(t, fast, config, "ann");
      await addListens(t, ann, originals.slice(0, 9).map(asListen));
      worker = await startWorker({ pool: t.pool, concurrency: 1, heartbeatSeconds: 5, log: createLog("test", "error") });
      await enqueue(t.db, "enrich", { userId: ann, trigger: "schedule" }, { jobKey: enrichJobKey(ann) });
      await until(async () => (await statusCounts(t, ann)).enriched === 9, 30_000, "all 9 enriched after the pause");
      await until(async () => (await t.db.selectFrom("enrichment_runs").select("id").where("status", "=", "running").execute()).length === 0, 10_000, "the last run to finish");
      const runs = await t.db.selectFrom("enrichment_runs").select(["trigger", "status", "resume_at", "error", "items_matched"]).orderBy("id").execute();
      expect(runs[0]).toMatchObject({ trigger: "schedule", status: "quota_paused" });
      expect(runs[0]!.resume_at).not.toBeNull();
      expect(runs[0]!.error).toMatch(/quota/);
      // The rest came from runs the pause scheduled, not from a new trigger.
      expect(runs.filter((r) => r.trigger === "resume").reduce((n, r) => n + r.items_matched, 0)).toBe(9 - runs[0]!.items_matched);
      expect(fast.stats().rateLimited.quota).toBeGreaterThanOrEqual(1);
    } finally {
      await worker?.stop();
      worker = undefined;
      await fast.close();
      await t.drop();
    }
  });

  it("a worker killed mid-batch leaves nothing inconsistent, and another finishes the work", { timeout: 120_000 }, async () => {
    t = await createTestDatabase();
    const config = enrichConfig(sim);
    const env = useEnrichEnv(t, sim, config, { ENRICH_BATCH_SIZE: "200", WORKER_HEARTBEAT_SECONDS: "1" });
    const ann = await connectedUser(t, sim, config, "ann");
    const tracks = originals.slice(0, 150);
    await addListens(t, ann, tracks.map(asListen));
    sim.resetStats();
    sim.setFaults({ latencyMs: 40 });
    let proc: LinerProcess | undefined;
    try {
      proc = startLiner(["worker", "--concurrency", "1"], env);
      await enqueue(t.db, "enrich", { userId: ann, trigger: "upload" }, { jobKey: enrichJobKey(ann) });
      await until(async () => (sim.stats().byEndpoint["tracks/{id}"]?.[200] ?? 0) >= 45, 60_000, "the worker to be mid-batch");
      proc.child.kill("SIGKILL");
      await proc.exited;
    } finally {
      sim.setFaults({ latencyMs: 0 });
    }
    // Consistent: every listen is enriched with a catalogued track, or still pending. Nothing failed.
    const states = await statusCounts(t, ann);
    expect(Object.keys(states).sort()).toEqual(["enriched", "pending"]);
    // Results are written every 20 items, so a kill mid-batch keeps what was fetched before.
    expect(states.enriched).toBeGreaterThanOrEqual(20);
    const orphans = await sql<{ n: number }>`select count(*)::int as n from listens l where l.enrichment_status = 'enriched' and not exists (select 1 from tracks t where t.id = l.spotify_track_id)`.execute(t.db);
    expect(orphans.rows[0]!.n).toBe(0);
    const fetchedBeforeKill = sim.stats().byEndpoint["tracks/{id}"]?.[200] ?? 0;

    // The dead worker's job stays locked and its run "running": health says a job is stuck while it
    // lasts; a new worker frees the job, closes the run as interrupted and finishes the work by
    // itself (no new trigger, no waiting for claims to go stale) within a minute.
    await until(async () => (await checkHealth(t.pool, { aliveWithinSeconds: 60, deadWorkerSeconds: 10 })).checks.some((c) => c.name === "jobs" && !c.ok), 30_000, "health to report the stuck job");
    const started = Date.now();
    worker = await startWorker({ pool: t.pool, concurrency: 1, heartbeatSeconds: 2, log: createLog("test", "error") });
    await until(async () => (await statusCounts(t, ann)).enriched === 150, 60_000, "the rest enriched by another worker");
    expect(Date.now() - started).toBeLessThan(60_000);
    const first = await t.db.selectFrom("enrichment_runs").select(["status", "error", "finished_at"]).orderBy("id").executeTakeFirstOrThrow();
    expect(first.status).toBe("interrupted");
    expect(first.error).toMatch(/worker running it stopped/);
    expect(first.finished_at).not.toBeNull();
    await until(async () => (await checkHealth(t.pool, { aliveWithinSeconds: 60, deadWorkerSeconds: 10 })).checks.find((c) => c.name === "jobs")!.ok, 30_000, "health to see no stuck job");
    const fetched = sim.stats().byEndpoint["tracks/{id}"]?.[200] ?? 0;
    // Nothing doubled beyond the one unsaved slice (results are written every 20 items).
    expect(fetched).toBeLessThanOrEqual(150 + 20);
    expect(fetched).toBeGreaterThan(fetchedBeforeKill);
    await worker.stop();
    worker = undefined;
    await t.drop();
  });
});
