import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker, type RunningWorker } from "../../src/lib/jobs/worker";
import { createLog } from "../../src/lib/util/log";
import { generateCatalogue, startSpotifySimulator, type SpotifySimulator } from "../spotify-sim";
import { addListens, connectedUser, enrichConfig, statusCounts } from "../support/enrichment";
import { simulatorEnv } from "../support/spotify";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

/**
 * The pg_cron recipe, for real: Debian's postgresql-15-cron on the machine's PostgreSQL 15
 * (`.ci/run` installs and preloads it and sets PG_CRON_DATABASE_URL to the database pg_cron lives in).
 * pg_cron 1.4 ticks once a minute, so this waits up to 75 seconds.
 */
const cronUrl = process.env.PG_CRON_DATABASE_URL;

describe("pg_cron schedules enrichment", () => {
  let t: TestDatabase;
  let admin: pg.Client;
  let sim: SpotifySimulator;
  let worker: RunningWorker | undefined;
  const jobName = `liner-enrich-test-${process.pid}`;

  beforeAll(async () => {
    if (!cronUrl) throw new Error("PG_CRON_DATABASE_URL is not set: run this through .ci/run, which installs pg_cron.");
    admin = new pg.Client({ connectionString: cronUrl });
    await admin.connect();
    await admin.query("create extension if not exists pg_cron");
    t = await createTestDatabase();
    sim = await startSpotifySimulator({ catalogue: generateCatalogue({ seed: "cron", artists: 5 }), limits: { windowCalls: 10_000 } });
  });
  afterAll(async () => {
    await worker?.stop();
    await admin?.query("select cron.unschedule(jobid) from cron.job where jobname = $1", [jobName]).catch(() => undefined);
    await admin?.end();
    await sim?.close();
    await t?.drop();
  });

  it("select graphile_worker.add_job('enrich_all') on a schedule enqueues and runs enrichment", { timeout: 120_000 }, async () => {
    const config = enrichConfig(sim);
    Object.assign(process.env, { DATABASE_URL: t.url, TOKEN_ENCRYPTION_KEY: config.TOKEN_ENCRYPTION_KEY!, SPOTIFY_CALLS_PER_MINUTE: "10000", SPOTIFY_CALL_BURST: "1000", ...simulatorEnv(sim) });
    const ann = await connectedUser(t, sim, config, "ann");
    const tracks = [...sim.catalogue.tracks.values()].filter((x) => x.variant === "original").slice(0, 4);
    await addListens(t, ann, tracks.map((x) => ({ trackId: x.id, artist: sim.catalogue.artists.get(x.artistIds[0]!)!.name, track: x.name })));
    const database = new URL(t.url).pathname.slice(1);
    // The recipe from the docs, aimed at the test's database (pg_cron itself lives in another one).
    await admin.query(`select cron.schedule_in_database($1, '* * * * *', $$select graphile_worker.add_job('enrich_all')$$, $2)`, [jobName, database]);
    worker = await startWorker({ pool: t.pool, concurrency: 1, heartbeatSeconds: 5, log: createLog("test", "error") });
    const deadline = Date.now() + 75_000;
    while (Date.now() < deadline && (await statusCounts(t, ann)).enriched !== 4) await new Promise((r) => setTimeout(r, 500));
    expect(await statusCounts(t, ann)).toEqual({ enriched: 4 });
    const runs = await t.db.selectFrom("enrichment_runs").select("trigger").execute();
    expect(runs.map((r) => r.trigger)).toContain("schedule");
    const cronRuns = await admin.query("select status from cron.job_run_details d join cron.job j using (jobid) where j.jobname = $1", [jobName]);
    expect(cronRuns.rows.map((r: { status: string }) => r.status)).toContain("succeeded");
  });
});
