import { sql } from "kysely";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createSession, SESSION_COOKIE } from "../../src/lib/auth/sessions";
import type { Config } from "../../src/lib/config/env";
import { closeAppDb } from "../../src/lib/db/app-db";
import { refreshBacklog } from "../../src/lib/enrichment/backlog";
import { enrichJobKey } from "../../src/lib/enrichment/triggers";
import { enrichListens } from "../../src/lib/enrichment/enrich-listens";
import { generateCatalogue, startSpotifySimulator, type SimTrack, type SpotifySimulator } from "../spotify-sim";
import { addListens, connectedUser, enrichConfig, enrichContext, useEnrichEnv } from "../support/enrichment";
import { signInThroughRoutes } from "../support/spotify";
import { APP_URL, call, loadApiRoutes, type RouteModule } from "../support/routes";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

const catalogue = generateCatalogue({ seed: "live-state", artists: 10 });
const originals = [...catalogue.tracks.values()].filter((t) => t.variant === "original");
const asListen = (t: SimTrack) => ({ trackId: t.id, artist: catalogue.artists.get(t.artistIds[0]!)!.name, track: t.name });

describe("the live state: never contradicts itself; Enrich now with nothing to do; a reconnect resumes", () => {
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
    routes = await loadApiRoutes();
  });
  afterEach(async () => {
    await closeAppDb();
    await t.drop();
  });

  const handler = (method: "GET" | "POST") => routes.find((r) => r.pattern === "/api/spotify/enrich")!.handlers[method]!;
  const cookieFor = async (userId: string) => `${SESSION_COOKIE}=${(await createSession(t.db, userId)).token}`;
  const jobFor = async (userId: string) =>
    (await sql<{ task: string; payload: { trigger: string } }>`select t.identifier as task, j.payload from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id where j.key = ${enrichJobKey(userId)}`.execute(t.db)).rows[0];

  it("is not done while a job is queued, a run is going, or artist pages are left", async () => {
    const ann = await connectedUser(t, sim, config, "ann");
    const cookie = await cookieFor(ann);
    const get = async () => (await call(handler("GET"), "GET", "/api/spotify/enrich", { cookie })).json();
    await addListens(t, ann, originals.slice(0, 6).map(asListen));
    await refreshBacklog(t.db, ann);
    await enrichListens(enrichContext(t, config), { userId: ann, trigger: "manual" });
    let p = await get();
    expect(p.listens.pending).toBe(0);
    expect(p.state.code).toBe("done");

    // Artist pages not yet fetched: not done, and "Enrich now" has something to do.
    await sql`update artists set fetched_at = null`.execute(t.db);
    p = await get();
    expect(p.state.code).toBe("idle");
    expect(p.state.text).toMatch(/artist pages are left/);
    expect(p.work.artists).toBe(true);
    const res = await call(handler("POST"), "POST", "/api/spotify/enrich", { cookie, origin: APP_URL });
    expect(res.status).toBe(202);
    expect((await res.json()).status).toBe("queued");
    p = await get();
    expect(p.state.code).toBe("queued");
    await enrichListens(enrichContext(t, config), { userId: ann, trigger: "manual" });
    await sql`delete from graphile_worker._private_jobs`.execute(t.db);
    expect((await get()).state.code).toBe("done");

    // Album tracks without their ISRC are not work: their details are fetched only when asked for.
    await sql`update tracks set needs_detail = true`.execute(t.db);
    expect((await get()).state.code).toBe("done");
    await sql`update tracks set needs_detail = false`.execute(t.db);

    // A job queued (even with no pending listen) or a run going: not done.
    await sql`select graphile_worker.add_job('enrich', json_build_object('userId', ${ann}::text), job_key => ${enrichJobKey(ann)})`.execute(t.db);
    expect((await get()).state.code).toBe("queued");
    await sql`delete from graphile_worker._private_jobs`.execute(t.db);
    const run = await t.db.insertInto("enrichment_runs").values({ trigger: "manual", user_id: ann, api_calls: JSON.stringify({}) as never }).returning("id").executeTakeFirstOrThrow();
    p = await get();
    expect(p.state.code).toBe("running");
    expect(p.runs[0]).toMatchObject({ id: String(run.id), status: "running" });
    await t.db.updateTable("enrichment_runs").set({ status: "succeeded", finished_at: new Date() }).where("id", "=", run.id).execute();
    expect((await get()).state.code).toBe("done");
  });

  it("'Enrich now' with nothing to do says so and queues nothing", async () => {
    const ann = await connectedUser(t, sim, config, "ann");
    const cookie = await cookieFor(ann);
    const res = await call(handler("POST"), "POST", "/api/spotify/enrich", { cookie, origin: APP_URL });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "nothing", jobId: null, message: "Nothing to enrich: everything that can be is." });
    expect(await jobFor(ann)).toBeUndefined();
  });

  it("the daily budget spent: a quota state with when calls go again, and days in the time left", async () => {
    const ann = await connectedUser(t, sim, config, "ann");
    process.env.SPOTIFY_DAILY_BUDGET = "100";
    const cookie = await cookieFor(ann);
    await addListens(t, ann, originals.slice(0, 5).map(asListen));
    await refreshBacklog(t.db, ann);
    await t.db.updateTable("enrichment_backlog").set({ call_items: 250 }).execute();
    const hourAgo = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 3600_000);
    await t.db.insertInto("spotify_call_counts").values({ client_id: sim.clientId, minute: hourAgo, calls: 100 }).execute();
    const p = await (await call(handler("GET"), "GET", "/api/spotify/enrich", { cookie })).json();
    expect(p.budget).toMatchObject({ perDay: 100, usedToday: 100 });
    expect(p.state).toMatchObject({ code: "quota", text: "Paused: today's budget of 100 calls is spent; next calls" });
    expect(Date.parse(p.state.until)).toBe(hourAgo.getTime() + 86_400_000 + 60_000);
    expect(p.eta.text).toMatch(/^today's budget is spent; about 3 days at 100 calls a day; next calls (at|on \w{3}) \d\d:\d\d$/);
    // "Enrich now" meanwhile: not "starts in a moment", but when it can; the job waits for then.
    const res = await call(handler("POST"), "POST", "/api/spotify/enrich", { cookie, origin: APP_URL });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ status: "waiting", until: p.state.until });
    const { rows } = await sql<{ run_at: Date }>`select run_at from graphile_worker._private_jobs where key = ${enrichJobKey(ann)}`.execute(t.db);
    expect(rows[0]!.run_at.getTime()).toBe(Date.parse(p.state.until));
  });

  it("a reconnect with work pending queues enrichment at once, in the sign-in", async () => {
    sim.setUser({ id: "ann", displayName: "Ann", email: "ann@example.test", country: "SE", product: "premium" });
    const signIn = async () => {
      const r = await signInThroughRoutes(routes, sim, "ann");
      expect(r.location).toBe(`${APP_URL}/dashboard`);
      return { user: await t.db.selectFrom("users").selectAll().where("spotify_id", "=", "ann").executeTakeFirstOrThrow() };
    };
    const { user } = await signIn();
    expect(await jobFor(user.id)).toBeUndefined();
    // Spotify revokes the connection; listens arrive meanwhile (no job: nobody may enrich them).
    await t.db.updateTable("spotify_tokens").set({ state: "revoked" }).execute();
    await addListens(t, user.id, originals.slice(0, 3).map(asListen));
    expect(await jobFor(user.id)).toBeUndefined();
    // Reconnecting is signing in again: the job is there the moment it returns.
    await signIn();
    expect(await jobFor(user.id)).toMatchObject({ task: "enrich", payload: { trigger: "resume" } });
  });
});
