/**
 * `npm run bench:api`: how fast the enrichment panel answers with 1,000,000 listens in the database.
 * One person holds a million listens (half enriched, the rest pending, some not found or failed), a
 * hundred others a few thousand each; runs, jobs and rate state as a busy install has them. Measures
 * the panel's data (enrichmentPanel) and GET /api/spotify/enrich (the route, session check included),
 * and prints p50/p95/p99. Writes bench/results/api.json.
 */
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { sql } from "kysely";
import { createSession, SESSION_COOKIE } from "../src/lib/auth/sessions";
import { loadConfig } from "../src/lib/config/env";
import { loadEnvFileOrExit } from "../src/lib/config/env-file";
import { closeAppDb } from "../src/lib/db/app-db";
import { closeDb, createDb, createPool } from "../src/lib/db/pool";
import { refreshBacklog } from "../src/lib/enrichment/backlog";
import { enrichmentPanel } from "../src/lib/monitoring/enrichment-panel";
import { openBenchServer, printTable } from "./support/database";

// Before anything reads the environment: the same .env file `liner` reads (the environment wins).
loadEnvFileOrExit();

const root = path.resolve(import.meta.dirname, "..");
const LISTENS = Number(process.env.BENCH_LISTENS ?? 1_000_000);
const SAMPLES = 300;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function time(fn: () => Promise<unknown>): Promise<{ p50: number; p95: number; p99: number; mean: number }> {
  for (let i = 0; i < 20; i++) await fn(); // warm caches and plans
  const ms: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  const r = (n: number) => Math.round(n * 100) / 100;
  return { p50: r(percentile(ms, 50)), p95: r(percentile(ms, 95)), p99: r(percentile(ms, 99)), mean: r(ms.reduce((a, b) => a + b, 0) / ms.length) };
}

async function main(): Promise<void> {
  const server = await openBenchServer();
  try {
    const url = await server.freshDatabase("liner_bench_api");
    const pool = createPool(url, 4);
    const db = createDb(pool);
    const key = randomBytes(32).toString("base64");
    const env = { DATABASE_URL: url, TOKEN_ENCRYPTION_KEY: key, SPOTIFY_CLIENT_ID: "bench", SPOTIFY_CLIENT_SECRET: "bench", APP_URL: "http://127.0.0.1:3000" };
    Object.assign(process.env, env);
    const config = loadConfig(env);

    process.stderr.write(`loading ${LISTENS.toLocaleString("en-US")} listens…\n`);
    const t0 = Date.now();
    await sql`insert into users (spotify_id) select 'user-' || g from generate_series(0, 100) g`.execute(db);
    const heavy = (await db.selectFrom("users").select("id").where("spotify_id", "=", "user-0").executeTakeFirstOrThrow()).id;
    await sql`insert into spotify_tokens (user_id, access_token_enc, refresh_token_enc, expires_at, scope, authorized_at, state)
              select id, '\\x00', '\\x00', now() + interval '1 hour', '', now(), 'valid' from users`.execute(db);
    await sql`insert into albums (id, name, images) select 'al' || g, 'Album ' || g, '[{"url":"http://img/a","width":300,"height":300}]' from generate_series(1, 5000) g`.execute(db);
    await sql`insert into tracks (id, name, album_id, duration_ms) select 't' || g, 'Track ' || g, 'al' || (g % 5000 + 1), 200000 from generate_series(1, 20000) g`.execute(db);
    const others = Math.max(0, Math.floor((LISTENS * 0.1) / 100));
    const mine = LISTENS - others * 100;
    // The heavy user: half enriched, 45 % pending, 3 % not found, 2 % failed.
    await sql`
      insert into listens (user_id, played_at, ms_played, kind, track_name, artist_name, source_track_id, lookup_key, dedupe_key,
                           spotify_track_id, enrichment_status, enriched_at)
      select ${heavy}, timestamp '2015-01-01' + g * interval '3 minutes', 180000, 'track',
             'Track ' || (g % 20000), 'Artist ' || (g % 3000), case when g % 3 = 0 then null else 'x' || (g % 40000) end,
             'artist ' || (g % 3000) || chr(31) || 'track ' || (g % 40000), decode(md5(g::text), 'hex'),
             case when g % 100 < 50 then 't' || (g % 20000 + 1) end,
             case when g % 100 < 50 then 'enriched' when g % 100 < 95 then 'pending' when g % 100 < 98 then 'not_found' else 'failed' end,
             case when g % 100 < 50 then now() end
        from generate_series(1, ${mine}) g`.execute(db);
    await sql`
      insert into listens (user_id, played_at, ms_played, kind, track_name, artist_name, lookup_key, dedupe_key, enrichment_status)
      select u.id, timestamp '2020-01-01' + g * interval '5 minutes', 200000, 'track', 'Song ' || g, 'Band ' || (g % 50),
             'band ' || (g % 50) || chr(31) || 'song ' || g, decode(md5(u.id || '-' || g), 'hex'), 'pending'
        from users u cross join generate_series(1, ${others}) g where u.id <> ${heavy}`.execute(db);
    await sql`insert into enrichment_runs (trigger, user_id, status, finished_at, items_attempted, items_matched, api_calls, rate_limited)
              select 'schedule', u.id, 'succeeded', now(), 50, 48, '{"tracks/{id}": 50}', '{}' from users u, generate_series(1, 50)`.execute(db);
    await sql`select graphile_worker.add_job('enrich', json_build_object('userId', id::text), job_key => 'enrich:user:' || id) from users`.execute(db);
    await sql`analyze`.execute(db);
    process.stderr.write(`computing the heavy user's backlog (what a run does after it finishes)…\n`);
    const b0 = Date.now();
    await refreshBacklog(db, heavy);
    const backlogSeconds = (Date.now() - b0) / 1000;
    const loadSeconds = (Date.now() - t0) / 1000;
    const total = Number((await sql<{ n: string }>`select count(*) as n from listens`.execute(db)).rows[0]!.n);

    process.stderr.write("measuring…\n");
    const panel = await time(() => enrichmentPanel(db, config, heavy));
    const { GET } = await import("../src/app/api/spotify/enrich/route");
    const s = await createSession(db, heavy);
    const cookie = `${SESSION_COOKIE}=${s.token}`;
    const route = await time(async () => {
      const res = await GET(new Request("http://127.0.0.1:3000/api/spotify/enrich", { headers: { cookie } }), { params: Promise.resolve({}) } as never);
      if (res.status !== 200) throw new Error(`route answered ${res.status}`);
      await res.json();
    });
    const check = await enrichmentPanel(db, config, heavy);

    printTable([
      { what: "enrichmentPanel (the panel's data)", listens: total, p50_ms: panel.p50, p95_ms: panel.p95, p99_ms: panel.p99 },
      { what: "GET /api/spotify/enrich (route)", listens: total, p50_ms: route.p50, p95_ms: route.p95, p99_ms: route.p99 },
    ]);
    console.log(`\nheavy user: ${check.listens.total.toLocaleString("en-US")} listens, ${check.percent}% enriched, ${check.backlog.uniqueTracks.toLocaleString("en-US")} unique tracks left; backlog recount took ${backlogSeconds.toFixed(2)} s (in the worker, after each run)`);
    const result = {
      listens: total,
      samples: SAMPLES,
      p50_ms: route.p50,
      p95_ms: route.p95,
      p99_ms: route.p99,
      panel_data: panel,
      route,
      heavy_user_listens: check.listens.total,
      backlog_recount_seconds: Math.round(backlogSeconds * 100) / 100,
      load_seconds: Math.round(loadSeconds),
    };
    await mkdir(path.join(root, "bench", "results"), { recursive: true });
    await writeFile(path.join(root, "bench", "results", "api.json"), `${JSON.stringify(result, null, 2)}\n`);
    console.log("wrote bench/results/api.json");
    await closeAppDb();
    await closeDb(db, pool);
  } finally {
    await server.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
