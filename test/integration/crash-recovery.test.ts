import { existsSync } from "node:fs";
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openEmbeddedPostgres } from "../../src/lib/db/embedded";
import { migrate } from "../../src/lib/db/migrations";
import { closeDb, createDb, createPool } from "../../src/lib/db/pool";
import { enrichJobKey } from "../../src/lib/enrichment/triggers";
import { createUpload } from "../../src/lib/imports/uploads";
import { startWorker, type RunningWorker } from "../../src/lib/jobs/worker";
import { checkHealth } from "../../src/lib/monitoring/health";
import { enqueue } from "../../src/lib/queue/enqueue";
import { createLog } from "../../src/lib/util/log";
import { generateCatalogue, startSpotifySimulator, type SimTrack, type SpotifySimulator } from "../spotify-sim";
import { generateExport, writeExportZip } from "../spotify-sim/exports";
import { addListens, connectedUser, enrichConfig, statusCounts, useEnrichEnv } from "../support/enrichment";
import { importAsUpload, scratchDir } from "../support/imports";
import { freePort, startLiner, type LinerProcess } from "../support/liner-process";
import { createTestDatabase, type TestDatabase } from "../support/test-database";
import { until } from "../support/wait";

/**
 * Killed processes and a lost database, for real: `liner worker` processes are SIGKILLed mid-job,
 * and an embedded PostgreSQL of the test's own is stopped under a running worker and started
 * again. What must hold: the work is resumed by itself within a minute, every listen is there
 * exactly once, nothing is wrongly failed, no run is left "running", and no worker exits.
 */
const catalogue = generateCatalogue({ seed: "crash", artists: 30 });
const originals = [...catalogue.tracks.values()].filter((t) => t.variant === "original");
const artistOf = (t: SimTrack) => catalogue.artists.get(t.artistIds[0]!)!.name;
const asListen = (t: SimTrack) => ({ trackId: t.id, artist: artistOf(t), track: t.name });
const quiet = createLog("test", "error");

const jobsLeft = async (t: TestDatabase) => Number((await sql<{ n: number }>`select count(*)::int as n from graphile_worker.jobs`.execute(t.db)).rows[0]!.n);
const runningRuns = async (t: TestDatabase) => (await t.db.selectFrom("enrichment_runs").select("id").where("status", "=", "running").execute()).length;

/**
 * A PostgreSQL of the test's own, to stop under a running worker: an embedded cluster on a port of
 * its own, kept across the restart (the next free one could be taken meanwhile), migrated.
 */
async function ownDatabase(prefix: string) {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  const port = await freePort();
  let pg = await openEmbeddedPostgres({ dir, database: "liner", port });
  const pool = createPool(pg.url, 5);
  const db = createDb(pool);
  const t: TestDatabase = { name: "liner", url: pg.url, pool, db, drop: async () => closeDb(db, pool) };
  await migrate(pool);
  return {
    dir,
    t,
    stop: () => pg.stop(),
    start: async () => {
      pg = await openEmbeddedPostgres({ dir, database: "liner", port });
    },
    close: async () => {
      await t.drop();
      await pg.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Ends a `liner` process still running at the end of a test. */
async function endLiner(proc: LinerProcess | undefined) {
  if (proc && proc.child.exitCode === null) {
    proc.child.kill("SIGTERM");
    await proc.exited;
  }
}

describe("crash recovery", () => {
  let sim: SpotifySimulator;
  let worker: RunningWorker | undefined;
  const procs: LinerProcess[] = [];
  beforeAll(async () => {
    sim = await startSpotifySimulator({ catalogue, limits: { windowCalls: 10_000 } });
  });
  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill("SIGKILL");
    await worker?.stop();
    await sim.close();
  });

  it("a worker killed mid-import: a live worker finishes the upload within a minute, every listen once", { timeout: 240_000 }, async () => {
    const t = await createTestDatabase();
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "liner-crash-"));
    try {
      const config = enrichConfig(sim);
      const env = useEnrichEnv(t, sim, config, { WORKER_HEARTBEAT_SECONDS: "1", LINER_DATA_DIR: dataDir, ENRICH_ON_UPLOAD: "false" });
      const zip = path.join(await scratchDir(), "crash-export.zip");
      await writeExportZip(generateExport({ format: "extended-new", entries: 50_000, seed: "crash" }), zip, { format: "extended-new", maxFileBytes: 2 * 1024 * 1024 });
      const [ann, truth] = await Promise.all(["ann", "truth"].map(async (id) => (await t.db.insertInto("users").values({ spotify_id: id }).returning("id").executeTakeFirstOrThrow()).id));

      // The truth: the same file imported without interruption, for another person.
      const expected = await importAsUpload(t, truth!, zip);
      expect(expected.status).toBe("completed");

      const filePath = path.join(dataDir, "killed.upload");
      await copyFile(zip, filePath);
      const uploadId = await createUpload(t.db, { userId: ann!, filePath, originalName: "my_spotify_data.zip", byteSize: 0 });
      const doomed = startLiner(["worker", "--concurrency", "1"], env);
      procs.push(doomed);
      await until(async () => {
        const u = await t.db.selectFrom("upload_jobs").select(["status", "bytes_processed"]).where("id", "=", uploadId).executeTakeFirstOrThrow();
        return u.status === "processing" && Number(u.bytes_processed ?? 0) > 0;
      }, 60_000, "the import to be under way");
      doomed.child.kill("SIGKILL");
      await doomed.exited;

      await until(async () => (await checkHealth(t.pool, { aliveWithinSeconds: 60, deadWorkerSeconds: 10 })).checks.some((c) => c.name === "jobs" && !c.ok), 30_000, "health to report the stuck import");
      const started = Date.now();
      worker = await startWorker({ pool: t.pool, concurrency: 1, heartbeatSeconds: 2, log: quiet });
      await until(async () => (await t.db.selectFrom("upload_jobs").select("status").where("id", "=", uploadId).executeTakeFirstOrThrow()).status === "completed", 60_000, "the import finished by a live worker");
      expect(Date.now() - started).toBeLessThan(60_000);

      const count = async (userId: string) => Number((await sql<{ n: number }>`select count(*)::int as n from listens where user_id = ${userId}`.execute(t.db)).rows[0]!.n);
      expect(await count(ann!)).toBe(await count(truth!));
      expect(await count(ann!)).toBe(expected.inserted);
      const doubled = await sql<{ n: number }>`select count(*)::int as n from (select 1 from listens where user_id = ${ann} group by dedupe_key having count(*) > 1) d`.execute(t.db);
      expect(doubled.rows[0]!.n).toBe(0);
      await until(async () => (await jobsLeft(t)) === 0, 30_000, "the queue to empty");
    } finally {
      await worker?.stop();
      worker = undefined;
      await t.drop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("a 20-second database outage: the worker stays up, says so once, and resumes the interrupted enrichment by itself", { timeout: 240_000 }, async () => {
    const own = await ownDatabase("liner-outage-");
    const { t } = own;
    const { db, pool } = t;
    let proc: LinerProcess | undefined;
    try {
      const config = enrichConfig(sim);
      const env = useEnrichEnv(t, sim, config, { WORKER_HEARTBEAT_SECONDS: "1", LOG_LEVEL: "info", ENRICH_BATCH_SIZE: "200" });
      const ann = await connectedUser(t, sim, config, "outage-ann");
      await addListens(t, ann, originals.slice(0, 120).map(asListen));
      sim.setFaults({ latencyMs: 60 });
      proc = startLiner(["worker", "--concurrency", "2"], env);
      procs.push(proc);
      await enqueue(db, "enrich", { userId: ann, trigger: "manual" }, { jobKey: enrichJobKey(ann) });
      await until(async () => ((await statusCounts(t, ann)).enriched ?? 0) >= 20, 60_000, "enrichment to be under way");

      await own.stop();
      const down = Date.now();
      await until(async () => /database unreachable/.test(proc!.output()), 30_000, "the worker to notice the outage");
      // The outage lasts 20 s whatever the worker does meanwhile.
      await until(async () => Date.now() - down >= 20_000, 30_000, "20 s of outage");
      expect(proc.child.exitCode, proc.output()).toBeNull();
      sim.setFaults({ latencyMs: 0 });
      await own.start();

      await until(async () => (await statusCounts(t, ann)).enriched === 120, 90_000, "every listen enriched after the outage").catch(async (err: Error) => {
        const jobs = await sql`select id, task_identifier, locked_by, locked_at, run_at, attempts, last_error from graphile_worker.jobs`.execute(db);
        const runs = await db.selectFrom("enrichment_runs").select(["id", "status", "worker_id", "error"]).execute();
        throw new Error(`${err.message}\n${JSON.stringify({ counts: await statusCounts(t, ann), jobs: jobs.rows, runs })}\n${proc!.output()}`);
      });
      await until(async () => (await runningRuns(t)) === 0 && (await jobsLeft(t)) === 0, 60_000, "no run left running, the queue empty");
      expect(await statusCounts(t, ann)).toEqual({ enriched: 120 });
      expect(proc.child.exitCode).toBeNull();
      const out = proc.output();
      // One line per change of state, not one per retry.
      expect(out.match(/database unreachable/g)?.length).toBe(1);
      expect(out).toMatch(/database reachable|job runner restarted/);
      const health = await checkHealth(pool, { aliveWithinSeconds: 60, deadWorkerSeconds: 10 });
      expect(health.checks.filter((c) => !c.ok && c.name !== "enrichment")).toEqual([]);
    } finally {
      sim.setFaults({ latencyMs: 0 });
      await endLiner(proc);
      await own.close();
    }
  });

  it("a database outage mid-import: the import is done again by itself, every listen once", { timeout: 240_000 }, async () => {
    const own = await ownDatabase("liner-outage-import-");
    const { t, dir } = own;
    const { db } = t;
    let proc: LinerProcess | undefined;
    try {
      const config = enrichConfig(sim);
      const env = useEnrichEnv(t, sim, config, { WORKER_HEARTBEAT_SECONDS: "1", LINER_DATA_DIR: dir, ENRICH_ON_UPLOAD: "false", LOG_LEVEL: "info" });
      const zip = path.join(await scratchDir(), "outage-export.zip");
      await writeExportZip(generateExport({ format: "extended-new", entries: 60_000, seed: "outage" }), zip, { format: "extended-new", maxFileBytes: 2 * 1024 * 1024 });
      const [ann, truth] = await Promise.all(["ann", "truth"].map(async (id) => (await db.insertInto("users").values({ spotify_id: id }).returning("id").executeTakeFirstOrThrow()).id));
      // The truth: the same file imported without interruption, for another person, before any
      // worker runs (a worker would take that upload's job itself).
      const expected = await importAsUpload(t, truth!, zip);
      expect(expected.status).toBe("completed");
      const filePath = path.join(dir, "outage.upload");
      await copyFile(zip, filePath);
      const uploadId = await createUpload(db, { userId: ann!, filePath, originalName: "my_spotify_data.zip", byteSize: 0 });
      proc = startLiner(["worker", "--concurrency", "1"], env);
      procs.push(proc);
      await until(async () => {
        const u = await db.selectFrom("upload_jobs").select(["status", "bytes_processed"]).where("id", "=", uploadId).executeTakeFirstOrThrow();
        return u.status === "processing" && Number(u.bytes_processed ?? 0) > 0;
      }, 60_000, "the import to be under way");

      await own.stop();
      const down = Date.now();
      await until(async () => /database unreachable/.test(proc!.output()), 30_000, "the worker to notice the outage");
      await until(async () => Date.now() - down >= 10_000, 20_000, "10 s of outage");
      expect(proc.child.exitCode, proc.output()).toBeNull();
      await own.start();

      await until(async () => (await db.selectFrom("upload_jobs").select("status").where("id", "=", uploadId).executeTakeFirstOrThrow()).status === "completed", 120_000, "the import done after the outage").catch(async (err: Error) => {
        const u = await db.selectFrom("upload_jobs").selectAll().where("id", "=", uploadId).executeTakeFirst();
        throw new Error(`${err.message}\n${JSON.stringify(u)}\n${proc!.output()}`);
      });
      const count = async (userId: string) => Number((await sql<{ n: number }>`select count(*)::int as n from listens where user_id = ${userId}`.execute(db)).rows[0]!.n);
      expect(await count(ann!)).toBe(expected.inserted);
      expect(await count(ann!)).toBe(await count(truth!));
      expect(existsSync(filePath)).toBe(false);
      expect(proc.child.exitCode).toBeNull();
    } finally {
      await endLiner(proc);
      await own.close();
    }
  });
});
