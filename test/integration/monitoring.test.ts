import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { sql } from "kysely";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createSession, SESSION_COOKIE } from "../../src/lib/auth/sessions";
import { loadConfig, type Config } from "../../src/lib/config/env";
import { closeAppDb } from "../../src/lib/db/app-db";
import { refreshBacklog } from "../../src/lib/enrichment/backlog";
import { blockUntil } from "../../src/lib/spotify/rate-budget";
import { checkAlerts } from "../../src/lib/monitoring/alerts";
import { enrichmentPanel } from "../../src/lib/monitoring/enrichment-panel";
import { timeLeft } from "../../src/lib/monitoring/live-state";
import { checkHealth, healthOptions } from "../../src/lib/monitoring/health";
import { operatorView } from "../../src/lib/monitoring/operator";
import { enrichListens } from "../../src/lib/enrichment/enrich-listens";
import { historyStats } from "../../src/lib/stats/history";
import { generateCatalogue, startSpotifySimulator, type SimTrack, type SpotifySimulator } from "../spotify-sim";
import { addListens, connectedUser, enrichConfig, enrichContext, useEnrichEnv } from "../support/enrichment";
import { APP_URL, call, loadApiRoutes, type RouteModule } from "../support/routes";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

const catalogue = generateCatalogue({ seed: "monitor", artists: 20 });
const originals = [...catalogue.tracks.values()].filter((t) => t.variant === "original");
const artistOf = (t: SimTrack) => catalogue.artists.get(t.artistIds[0]!)!.name;
const asListen = (t: SimTrack) => ({ trackId: t.id, artist: artistOf(t), track: t.name, album: catalogue.albums.get(t.albumId)!.name });

describe("monitoring: the panel, health, metrics, alerts, operator view, stats", () => {
  let t: TestDatabase;
  let sim: SpotifySimulator;
  let config: Config;
  let routes: RouteModule[];
  beforeAll(async () => {
    sim = await startSpotifySimulator({ catalogue, limits: { windowCalls: 10_000 } });
  });
  afterAll(() => sim.close());
  beforeEach(async () => {
    t = await createTestDatabase();
    config = enrichConfig(sim);
    useEnrichEnv(t, sim, config);
    for (const k of ["METRICS_TOKEN", "ADMIN_SPOTIFY_IDS", "ALERT_WEBHOOK_URL"]) delete process.env[k];
    routes = await loadApiRoutes();
  });
  afterEach(async () => {
    await closeAppDb();
    await t.drop();
  });

  const handler = (pattern: string, method: "GET" | "POST" = "GET") => routes.find((r) => r.pattern === pattern)!.handlers[method]!;
  const cookieFor = async (userId: string) => `${SESSION_COOKIE}=${(await createSession(t.db, userId)).token}`;

  it("keeps per-person counts exact through inserts, enrichment and deletes", async () => {
    const ann = await connectedUser(t, sim, config, "ann");
    await addListens(t, ann, originals.slice(0, 10).map(asListen));
    await addListens(t, ann, [{ trackId: null, artist: "Nobody Anywhere", track: "Nothing" }]);
    await t.db.insertInto("listens").values({ user_id: ann, played_at: new Date(), ms_played: 5000, kind: "episode", dedupe_key: Buffer.from("ep"), enrichment_status: "not_applicable" }).execute();
    const counts = async () => {
      const { rows } = await sql<{ status: string; n: string; direct: string }>`
        select c.status, c.listens as n, (select count(*) from listens l where l.user_id = c.user_id and l.enrichment_status = c.status and l.kind = c.kind) as direct
          from listen_counts c where c.user_id = ${ann} and c.listens <> 0 order by 1`.execute(t.db);
      for (const r of rows) expect(r.n).toBe(r.direct);
      return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    };
    expect(await counts()).toEqual({ not_applicable: 1, pending: 11 });
    await enrichListens(enrichContext(t, config), { userId: ann });
    expect(await counts()).toEqual({ enriched: 10, not_applicable: 1, not_found: 1 });
    await t.db.deleteFrom("listens").where("user_id", "=", ann).where("enrichment_status", "=", "not_found").execute();
    expect(await counts()).toEqual({ enriched: 10, not_applicable: 1 });
    // Deleting the person takes the counts along.
    await t.db.deleteFrom("users").where("id", "=", ann).execute();
    expect((await t.db.selectFrom("listen_counts").selectAll().execute()).length).toBe(0);
  });

  it("GET /api/spotify/enrich: progress, backlog, ETA and the state in words", async () => {
    const ann = await connectedUser(t, sim, config, "ann");
    const cookie = await cookieFor(ann);
    const get = async () => (await call(handler("/api/spotify/enrich"), "GET", "/api/spotify/enrich", { cookie })).json();
    expect((await get()).state).toMatchObject({ code: "done", text: "Nothing to enrich yet: upload your Spotify data." });
    await addListens(t, ann, [...originals.slice(0, 10), ...originals.slice(0, 5)].map(asListen));
    await refreshBacklog(t.db, ann);
    let p = await get();
    expect(p.listens).toMatchObject({ total: 15, tracks: 15, pending: 15, enriched: 0 });
    expect(p.backlog).toMatchObject({ uniqueTracks: 10, needingCalls: 10 });
    // The configured 10,000 a minute, less the 10 % kept under Spotify's window.
    expect(p.eta.text).toBe("about a minute at 9,000 calls a minute");
    expect(p.state.code).toBe("idle");
    // Enrich now → queued.
    expect((await call(handler("/api/spotify/enrich", "POST"), "POST", "/api/spotify/enrich", { cookie, origin: APP_URL })).status).toBe(202);
    expect((await get()).state.code).toBe("queued");
    // A 429 for everyone → waiting for the rate limit, with the time.
    await blockUntil(t.db, sim.clientId, new Date(Date.now() + 5 * 60_000), "rate limit");
    p = await get();
    expect(p.state.code).toBe("rate_limited");
    // No clock time in the words: the page ends the sentence with `until` in the reader's zone.
    expect(p.state).toMatchObject({ text: "Waiting for Spotify's rate limit; next calls" });
    expect(Date.parse(p.state.until)).toBeGreaterThan(Date.now());
    await blockUntil(t.db, sim.clientId, new Date(Date.now() + 10 * 3600_000), "QUOTA_EXCEEDED");
    p = await get();
    expect(p.state).toMatchObject({ code: "quota", text: "Paused: Spotify's daily quota is reached; enrichment resumes" });
    expect(p.eta.text).toMatch(/^Spotify's daily quota is reached; about 10 hours at 1,000,000 calls a day; next calls (at|on \w{3}) \d\d:\d\d$/);
    await sql`update spotify_rate_state set blocked_until = null`.execute(t.db);
    await sql`delete from graphile_worker._private_jobs`.execute(t.db);
    const [run] = await enrichListens(enrichContext(t, config), { userId: ann, trigger: "manual" });
    p = await get();
    expect(p).toMatchObject({ percent: 100, listens: { enriched: 15, pending: 0 }, backlog: { uniqueTracks: 0 }, state: { code: "done" } });
    expect(p.runs[0]).toMatchObject({ id: run!.runId, trigger: "manual", status: "succeeded", itemsMatched: 10, listensUpdated: 15 });
    const runs = await (await call(handler("/api/spotify/enrich/runs"), "GET", "/api/spotify/enrich/runs?limit=1", { cookie })).json();
    expect(runs.runs).toHaveLength(1);
    expect((await call(handler("/api/spotify/enrich/runs"), "GET", "/api/spotify/enrich/runs?limit=0", { cookie })).status).toBe(400);
    // Revoked → needs reconnect.
    await t.db.updateTable("spotify_tokens").set({ state: "revoked" }).execute();
    expect((await get()).state.code).toBe("needs_reconnect");
  });

  it("estimates time from the calls left and the budget", () => {
    const left = (calls: number) =>
      timeLeft({ connection: "valid", calls, perMinute: 180, perDay: 1000, usedToday: 0, budgetFreesAt: null, blockedUntil: null, blockedReason: null }, { now: new Date(), timeZone: "UTC" })!.text;
    expect(left(3000)).toBe("about 2 days at 1,000 calls a day (1,000 calls left today)");
    expect(left(900)).toBe("about 5 minutes at 180 calls a minute");
    expect(left(30_000)).toBe("about 29 days at 1,000 calls a day (1,000 calls left today)");
    expect(left(0)).toBe("nothing left to fetch");
  });

  it("Retry failed puts failed listens back and queues a run", async () => {
    const ann = await connectedUser(t, sim, config, "ann");
    await addListens(t, ann, originals.slice(0, 2).map(asListen));
    await t.db.updateTable("listens").set({ enrichment_status: "failed", enrichment_reason: "Spotify answered 503" }).execute();
    const res = await call(handler("/api/spotify/enrich/retry", "POST"), "POST", "/api/spotify/enrich/retry", { cookie: await cookieFor(ann), origin: APP_URL });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ requeued: 2, jobId: expect.any(String) });
    expect((await enrichmentPanel(t.db, config, ann)).listens).toMatchObject({ pending: 2, failed: 0 });
  });

  it("health warns when enrichment has not run recently, when runs keep failing, and recovers", async () => {
    const ann = await connectedUser(t, sim, config, "ann");
    await addListens(t, ann, originals.slice(0, 3).map(asListen));
    await t.db.insertInto("worker_heartbeats").values({ worker_id: "w", hostname: "h", pid: 1, concurrency: 1 }).execute();
    const health = () => checkHealth(t.pool, healthOptions(loadConfig({ ...process.env, ENRICH_STALE_AFTER: "2h" })));
    let r = await health();
    expect(r.status).toBe("warning");
    expect(r.checks.find((c) => c.name === "enrichment")).toMatchObject({ ok: false, message: expect.stringContaining("Enrichment has not run recently: 3 listens waiting") });
    // The route answers 503 with the checks.
    const res = await call(handler("/api/health"), "GET", "/api/health");
    expect(res.status).toBe(503);
    expect((await res.json()).checks).toEqual(expect.arrayContaining([expect.objectContaining({ name: "enrichment", ok: false })]));
    // A paused quota is not a fault.
    await blockUntil(t.db, sim.clientId, new Date(Date.now() + 3600_000), "QUOTA_EXCEEDED");
    expect((await health()).status).toBe("ok");
    await sql`update spotify_rate_state set blocked_until = null`.execute(t.db);
    // A successful run clears it.
    await enrichListens(enrichContext(t, config), { userId: ann });
    await addListens(t, ann, originals.slice(3, 4).map(asListen));
    expect((await health()).status).toBe("ok");
    // Five failed runs in a row.
    for (let i = 0; i < 5; i++) await t.db.insertInto("enrichment_runs").values({ trigger: "schedule", user_id: ann, status: "failed", finished_at: new Date(), error: "boom", api_calls: "{}", rate_limited: "{}" }).execute();
    r = await health();
    expect(r.checks.find((c) => c.name === "runs")).toMatchObject({ ok: false });
  });

  it("alerts once when health turns to warning and once when it recovers", async () => {
    const posts: Array<{ text: string; status: string }> = [];
    const server: Server = createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        posts.push(JSON.parse(body) as { text: string; status: string });
        res.end("ok");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    try {
      const c = loadConfig({ ...process.env, ALERT_WEBHOOK_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook` });
      // No worker alive: warning → one alert, however many checks run.
      expect((await checkAlerts(t.pool, c)).sent).toBe("warning");
      expect((await checkAlerts(t.pool, c)).sent).toBeNull();
      await Promise.all([checkAlerts(t.pool, c), checkAlerts(t.pool, c)]);
      expect(posts).toHaveLength(1);
      expect(posts[0]!.status).toBe("warning");
      expect(posts[0]!.text).toContain("worker: no worker has ever run");
      await t.db.insertInto("worker_heartbeats").values({ worker_id: "w", hostname: "h", pid: 1, concurrency: 1 }).execute();
      expect((await checkAlerts(t.pool, c)).sent).toBe("recovered");
      expect((await checkAlerts(t.pool, c)).sent).toBeNull();
      expect(posts.map((p) => p.status)).toEqual(["warning", "ok"]);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it("GET /api/metrics: Prometheus text, behind a token when configured", async () => {
    const ann = await connectedUser(t, sim, config, "ann");
    await addListens(t, ann, originals.slice(0, 4).map(asListen));
    await enrichListens(enrichContext(t, config), { userId: ann, trigger: "manual" });
    const res = await call(handler("/api/metrics"), "GET", "/api/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = await res.text();
    for (const line of [
      'liner_listens{kind="track",status="enriched"} 4',
      "liner_backlog_unique_tracks 0",
      'liner_enrichment_runs_total{trigger="manual",status="succeeded"} 1',
      'liner_spotify_calls_total{endpoint="tracks/{id}"} 4',
      'liner_spotify_responses_total{endpoint="tracks",status="403"} 1',
      'liner_spotify_429_total{reason="quota"} 0',
      "liner_oldest_pending_listen_age_seconds 0",
      "liner_workers_alive 0",
    ]) expect(text).toContain(line);
    expect(text).toMatch(/liner_spotify_quota_used \d+/);
    await closeAppDb();
    process.env.METRICS_TOKEN = "metrics-token-0123456789";
    routes = await loadApiRoutes();
    expect((await call(handler("/api/metrics"), "GET", "/api/metrics")).status).toBe(401);
    expect((await call(handler("/api/metrics"), "GET", "/api/metrics", { headers: { authorization: "Bearer metrics-token-0123456789" } })).status).toBe(200);
  });

  it("the operator view shows every backlog, the queue, the run log and the limits; admins are the recorded first operator or ADMIN_SPOTIFY_IDS", async () => {
    const { claimOperator, isAdmin } = await import("../../src/lib/auth/admins");
    const ann = await connectedUser(t, sim, config, "ann");
    const bob = await connectedUser(t, sim, config, "bob");
    await addListens(t, bob, originals.slice(0, 6).map(asListen));
    await refreshBacklog(t.db, bob);
    await enrichListens(enrichContext(t, config), { userId: bob, batchSize: 2 });
    const v = await operatorView(t.db, config);
    expect(v.users.map((u) => u.spotifyId)).toEqual(["bob", "ann"]);
    expect(v.users[0]).toMatchObject({ connection: "valid", listens: 6, pending: 4, uniqueLeft: 4, lastStatus: "succeeded" });
    expect(v.runs[0]).toMatchObject({ spotifyId: "bob", itemsMatched: 2 });
    expect(v.rate).toMatchObject({ perDay: 1_000_000, batchEndpoints: "unavailable" });
    expect(await isAdmin({ id: ann, spotify_id: "ann" })).toBe(false); // nobody signed in yet
    expect(await claimOperator(t.db, ann)).toBe(true); // what the first sign-in does
    expect(await claimOperator(t.db, bob)).toBe(false);
    expect(await isAdmin({ id: ann, spotify_id: "ann" })).toBe(true);
    expect(await isAdmin({ id: bob, spotify_id: "bob" })).toBe(false);
    process.env.ADMIN_SPOTIFY_IDS = "bob, carol";
    expect(await isAdmin({ id: ann, spotify_id: "ann" })).toBe(false);
    expect(await isAdmin({ id: bob, spotify_id: "bob" })).toBe(true);
  });

  it("history stats work by names before enrichment and show covers and genres after it", async () => {
    const ann = await connectedUser(t, sim, config, "ann");
    const fav = originals[0]!;
    const other = originals.find((x) => x.artistIds[0] !== fav.artistIds[0])!;
    await addListens(t, ann, [
      ...Array.from({ length: 5 }, () => ({ ...asListen(fav), trackId: null })),
      ...Array.from({ length: 2 }, () => asListen(other)),
      { ...asListen(other), msPlayed: 10_000 },
    ]);
    let s = await historyStats(t.db, ann, "all", 30_000);
    expect(s.plays).toBe(7);
    expect(s.topTracks[0]).toMatchObject({ name: fav.name, plays: 5, image: null });
    expect(s.topArtists.map((a) => a.name)).toEqual([artistOf(fav), artistOf(other)]);
    expect(s.timeline.length).toBeGreaterThan(0);
    await enrichListens(enrichContext(t, config), { userId: ann });
    s = await historyStats(t.db, ann, "all", 30_000);
    expect(s.topTracks[0]!.image).toMatch(/\/image\/.+\/300$/);
    expect(s.topArtists[0]!.image).toMatch(/\/image\/.+\/300$/);
    expect(s.topAlbums[0]!.image).toMatch(/\/image\//);
    const genres = new Set([...catalogue.artists.get(fav.artistIds[0]!)!.genres, ...catalogue.artists.get(other.artistIds[0]!)!.genres]);
    expect(s.genres.every((g) => genres.has(g.genre))).toBe(true);
    // Shorter plays count only when the setting says so.
    expect((await historyStats(t.db, ann, "all", 0)).plays).toBe(8);
  });
});
