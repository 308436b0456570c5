import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createSession, SESSION_COOKIE } from "../../src/lib/auth/sessions";
import { closeAppDb } from "../../src/lib/db/app-db";
import { generateCatalogue, startSpotifySimulator, type SpotifySimulator } from "../spotify-sim";
import { enrichConfig, useEnrichEnv } from "../support/enrichment";
import { call, loadApiRoutes, type RouteModule } from "../support/routes";
import { signInThroughRoutes, simulatorTokens } from "../support/spotify";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

const METRICS_TOKEN = "metrics-token-0123456789";

describe("web hardening: the operator, sign-in under a rate limit, health details", () => {
  let t: TestDatabase;
  let sim: SpotifySimulator;
  let routes: RouteModule[];
  beforeAll(async () => {
    sim = await startSpotifySimulator({ catalogue: generateCatalogue({ seed: "hardening", artists: 3 }) });
  });
  afterAll(() => sim.close());
  beforeEach(async () => {
    t = await createTestDatabase();
    useEnrichEnv(t, sim, enrichConfig(sim));
    delete process.env.ADMIN_SPOTIFY_IDS;
    process.env.METRICS_TOKEN = METRICS_TOKEN;
    routes = await loadApiRoutes();
    sim.resetLimits();
  });
  afterEach(async () => {
    delete process.env.ADMIN_SPOTIFY_IDS;
    delete process.env.METRICS_TOKEN;
    await closeAppDb();
    await t.drop();
  });

  const route = (pattern: string, method: "GET" | "POST" | "DELETE" = "GET") => routes.find((r) => r.pattern === pattern)!.handlers[method]!;
  const userId = async (spotifyId: string) => (await t.db.selectFrom("users").select("id").where("spotify_id", "=", spotifyId).executeTakeFirstOrThrow()).id;

  it("the first person to sign in is recorded as the operator once; nobody inherits the role when they leave", async () => {
    const { isAdmin } = await import("../../src/lib/auth/admins");
    // People who exist before anyone signed in (an import from the terminal) are not operators.
    const early = await t.db.insertInto("users").values({ spotify_id: "early" }).returning("id").executeTakeFirstOrThrow();
    const ann = await signInThroughRoutes(routes, sim, "ann");
    const bob = await signInThroughRoutes(routes, sim, "bob");
    expect(ann.location).toMatch(/\/dashboard$/);
    expect(bob.location).toMatch(/\/dashboard$/);
    const annId = await userId("ann");
    const bobId = await userId("bob");
    expect(await isAdmin({ id: annId, spotify_id: "ann" })).toBe(true);
    expect(await isAdmin({ id: bobId, spotify_id: "bob" })).toBe(false);
    expect(await isAdmin({ id: early.id, spotify_id: "early" })).toBe(false);
    // Signing in again changes nothing.
    await signInThroughRoutes(routes, sim, "bob");
    await signInThroughRoutes(routes, sim, "ann");
    expect(await isAdmin({ id: annId, spotify_id: "ann" })).toBe(true);
    expect(await isAdmin({ id: bobId, spotify_id: "bob" })).toBe(false);

    // Ann deletes her account: Bob (now the oldest) does not become the operator, nor does Ann again.
    const res = await call(route("/api/account", "DELETE"), "DELETE", "/api/account", { cookie: ann.cookie, origin: "http://127.0.0.1:3000" });
    expect(res.status).toBe(200);
    expect(await isAdmin({ id: bobId, spotify_id: "bob" })).toBe(false);
    expect(await isAdmin({ id: early.id, spotify_id: "early" })).toBe(false);
    await signInThroughRoutes(routes, sim, "ann");
    expect(await isAdmin({ id: await userId("ann"), spotify_id: "ann" })).toBe(false);
    await signInThroughRoutes(routes, sim, "carol");
    expect(await isAdmin({ id: await userId("carol"), spotify_id: "carol" })).toBe(false);
    // Until ADMIN_SPOTIFY_IDS names one.
    process.env.ADMIN_SPOTIFY_IDS = "bob";
    expect(await isAdmin({ id: bobId, spotify_id: "bob" })).toBe(true);
  });

  it("two first sign-ins at once record exactly one operator", async () => {
    const { isAdmin } = await import("../../src/lib/auth/admins");
    await Promise.all(["p1", "p2", "p3"].map((p) => signInThroughRoutes(routes, sim, p)));
    const verdicts = await Promise.all(["p1", "p2", "p3"].map(async (p) => isAdmin({ id: await userId(p), spotify_id: p })));
    expect(verdicts.filter(Boolean)).toHaveLength(1);
  });

  it("signing in waits out a short rate limit on /v1/me and succeeds", async () => {
    sim.resetStats();
    sim.queueFaults(["rate_limit"]); // 429 with Retry-After: 1 for the next Web API call: the callback's /v1/me
    const r = await signInThroughRoutes(routes, sim, "dora");
    expect(r.location).toMatch(/\/dashboard$/);
    expect(r.cookie).toBeDefined();
    expect(sim.stats().byEndpoint["me"]).toEqual({ 200: 1, 429: 1 });
  });

  it("signing in under a long rate limit answers at once with a plain 'Spotify is busy, try again at …'", async () => {
    sim.setRateLimit({ windowCalls: 1, windowSeconds: 600 });
    try {
      // One call spends the window; the callback's /v1/me gets a 429 with Retry-After ≈ 600 s.
      const tokens = await simulatorTokens(sim, "eve");
      expect((await fetch(`${sim.apiBaseUrl}/me`, { headers: { authorization: `Bearer ${tokens.accessToken}` } })).status).toBe(200);
      const started = Date.now();
      const r = await signInThroughRoutes(routes, sim, "eve");
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(r.cookie).toBeUndefined();
      const location = new URL(r.location!);
      expect(location.pathname).toBe("/");
      expect(location.searchParams.get("error")).toBe("spotify_busy");
      const retryAt = Date.parse(location.searchParams.get("retry_at")!);
      expect(retryAt).toBeGreaterThan(Date.now() + 500_000);
      expect(retryAt).toBeLessThan(Date.now() + 700_000);
      expect(await t.db.selectFrom("users").select("id").execute()).toEqual([]);
    } finally {
      sim.setRateLimit({ windowCalls: 100, windowSeconds: 30 });
      sim.resetLimits();
    }
  });

  it("GET /api/health shows the status and failing check names to anyone, details to the metrics token or an operator", async () => {
    const health = route("/api/health");
    const pub = await call(health, "GET", "/api/health");
    expect(pub.status).toBe(503); // no worker in this database
    const body = await pub.json();
    expect(body).toEqual({ status: "warning", checkedAt: expect.any(String), failing: ["worker"], checks: expect.any(Array) });
    expect(body.checks).toEqual(expect.arrayContaining([{ name: "database", ok: true }, { name: "worker", ok: false }]));
    expect(JSON.stringify(body)).not.toMatch(/PostgreSQL|serverVersion|queue|connections|latency/);

    const withToken = await (await call(health, "GET", "/api/health", { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).json();
    expect(withToken.database.serverVersion).toMatch(/^\d+/);
    expect(withToken.queue).toMatchObject({ ready: expect.any(Number) });
    const wrongToken = await (await call(health, "GET", "/api/health", { headers: { authorization: "Bearer nope-nope-nope-nope" } })).json();
    expect(wrongToken.database).toBeUndefined();

    const op = await signInThroughRoutes(routes, sim, "olga");
    const other = await signInThroughRoutes(routes, sim, "pete");
    expect((await (await call(health, "GET", "/api/health", { cookie: op.cookie })).json()).database.serverVersion).toMatch(/^\d+/);
    expect((await (await call(health, "GET", "/api/health", { cookie: other.cookie })).json()).database).toBeUndefined();
    const forged = `${SESSION_COOKIE}=${(await createSession(t.db, await userId("pete"))).token}x`;
    expect((await (await call(health, "GET", "/api/health", { cookie: forged })).json()).database).toBeUndefined();
  });
});
