import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession, SESSION_COOKIE } from "../../src/lib/auth/sessions";
import { closeAppDb } from "../../src/lib/db/app-db";
import { saveAuthorization } from "../../src/lib/spotify/connection";
import { APP_URL, call, loadApiRoutes, type RouteModule } from "../support/routes";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

// Routes that are public by design; every other route must refuse a request without a session.
const CRON = "cron-secret-for-the-route-tests";

// Bad values for every query parameter of every route. Every route is listed, so a new
// route must say which parameters it takes; each bad value gets 400 naming the parameter.
const BAD_QUERIES: Record<string, Array<{ method: string; query: string; parameter: string }>> = {
  "/api/account": [],
  "/api/auth/callback": [
    { method: "GET", query: `code=${"c".repeat(5000)}&state=s`, parameter: "code" },
    { method: "GET", query: `code=c&state=${"s".repeat(1000)}`, parameter: "state" },
    { method: "GET", query: `error=${"e".repeat(1000)}`, parameter: "error" },
  ],
  "/api/auth/login": [],
  "/api/auth/logout": [],
  "/api/cron/enrich": [
    { method: "GET", query: "inline=yes", parameter: "inline" },
    { method: "POST", query: "inline=2", parameter: "inline" },
  ],
  "/api/health": [],
  "/api/me": [],
  "/api/metrics": [],
  "/api/spotify/connection": [],
  "/api/spotify/enrich": [],
  "/api/spotify/enrich/retry": [{ method: "POST", query: "notFound=yes", parameter: "notFound" }],
  "/api/spotify/enrich/runs": [
    { method: "GET", query: "before=99999999999999999999999", parameter: "before" },
    { method: "GET", query: "before=9223372036854775808", parameter: "before" },
    { method: "GET", query: "before=-1", parameter: "before" },
    { method: "GET", query: "before=abc", parameter: "before" },
    { method: "GET", query: "before=", parameter: "before" },
    { method: "GET", query: "limit=abc", parameter: "limit" },
    { method: "GET", query: "limit=0", parameter: "limit" },
    { method: "GET", query: "limit=201", parameter: "limit" },
    { method: "GET", query: "limit=1.5", parameter: "limit" },
    { method: "GET", query: "limit=1e2", parameter: "limit" },
  ],
  "/api/uploads": [
    { method: "PUT", query: `name=${"n".repeat(2000)}`, parameter: "name" },
    { method: "GET", query: "limit=0", parameter: "limit" },
    { method: "GET", query: "limit=101", parameter: "limit" },
    { method: "GET", query: "limit=abc", parameter: "limit" },
    { method: "GET", query: "before=abc", parameter: "before" },
    { method: "GET", query: "before=", parameter: "before" },
  ],
  "/api/uploads/[uploadId]/status": [],
  // tus requests carry their data in headers; the upload id is in the path and checked per person.
  "/api/uploads/tus/[[...path]]": [],
};

const PUBLIC = new Set(["/api/health", "/api/auth/login", "/api/auth/callback", "/api/auth/logout", "/api/cron/enrich", "/api/metrics"]);

describe("API routes: sessions, isolation, cross-site refusal", () => {
  let t: TestDatabase;
  let routes: RouteModule[];
  const key = randomBytes(32);
  const people: Record<"ann" | "bob", { id: string; cookie: string }> = {} as never;

  beforeAll(async () => {
    t = await createTestDatabase();
    Object.assign(process.env, { DATABASE_URL: t.url, APP_URL, TOKEN_ENCRYPTION_KEY: key.toString("base64"), CRON_SECRET: CRON });
    for (const name of ["ann", "bob"] as const) {
      const u = await t.db.insertInto("users").values({ spotify_id: name, display_name: name.toUpperCase() }).returning("id").executeTakeFirstOrThrow();
      const s = await createSession(t.db, u.id);
      await saveAuthorization(t.db, key, u.id, { accessToken: `at-${name}`, refreshToken: `rt-${name}`, expiresAt: new Date(Date.now() + 3600_000), scope: "" });
      people[name] = { id: u.id, cookie: `${SESSION_COOKIE}=${s.token}` };
    }
    routes = await loadApiRoutes();
  });
  afterAll(async () => {
    await closeAppDb();
    await t.drop();
  });

  const fill = (r: RouteModule) => Object.fromEntries(r.params.map((p) => [p, randomUUID()]));
  const url = (r: RouteModule, params: Record<string, string>) => r.pattern.replace(/\[(\w+)\]/g, (_, p: string) => params[p]!);

  it("finds the routes it guards", () => {
    expect(routes.map((r) => r.pattern)).toEqual(
      expect.arrayContaining(["/api/me", "/api/spotify/connection", "/api/account", "/api/uploads", "/api/spotify/enrich", "/api/spotify/enrich/runs", "/api/spotify/enrich/retry"]),
    );
  });

  it("every private route answers 401 without a session, and 401 for a forged one", async () => {
    const checked: string[] = [];
    for (const r of routes.filter((x) => !PUBLIC.has(x.pattern))) {
      for (const [method, handler] of Object.entries(r.handlers)) {
        const params = fill(r);
        // No cookie, a forged one, and ones that are not even valid percent-encoding.
        for (const cookie of [undefined, `${SESSION_COOKIE}=${randomBytes(32).toString("base64url")}`, `${SESSION_COOKIE}=%E0%A4%A`, `other=%zz; ${SESSION_COOKIE}=abc%`]) {
          const res = await call(handler, method, url(r, params), { cookie, params, origin: APP_URL });
          expect(res.status, `${method} ${r.pattern}`).toBe(401);
          expect(await res.json()).toMatchObject({ error: "unauthenticated" });
        }
        checked.push(`${method} ${r.pattern}`);
      }
    }
    expect(checked.length).toBeGreaterThanOrEqual(4);
  });

  it("every private state-changing route refuses another site's Origin with 403", async () => {
    for (const r of routes.filter((x) => !PUBLIC.has(x.pattern) || x.pattern === "/api/auth/logout")) {
      for (const [method, handler] of Object.entries(r.handlers)) {
        if (method === "GET") continue;
        const params = fill(r);
        const res = await call(handler, method, url(r, params), { cookie: people.ann.cookie, params, origin: "https://evil.example" });
        expect(res.status, `${method} ${r.pattern}`).toBe(403);
      }
    }
  });

  it("every query parameter of every route is validated: 400 naming the parameter, never 500", async () => {
    expect(Object.keys(BAD_QUERIES).sort(), "every route lists its parameters in BAD_QUERIES").toEqual(routes.map((r) => r.pattern).sort());
    let checked = 0;
    for (const r of routes) {
      for (const bad of BAD_QUERIES[r.pattern]!) {
        const handler = r.handlers[bad.method as "GET"]!;
        expect(handler, `${bad.method} ${r.pattern}`).toBeDefined();
        const params = fill(r);
        const res = await call(handler, bad.method, `${url(r, params)}?${bad.query}`, {
          cookie: people.bob.cookie,
          origin: APP_URL,
          params,
          headers: { authorization: `Bearer ${CRON}` },
          body: bad.method === "PUT" ? "[]" : undefined,
        });
        const what = `${bad.method} ${r.pattern}?${bad.query.slice(0, 40)}`;
        expect(res.status, what).toBe(400);
        const body = await res.json();
        expect(body, what).toMatchObject({ error: "bad_parameter", parameter: bad.parameter });
        expect(body.message, what).toContain(bad.parameter);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(15);
    // Good values still work.
    const runs = routes.find((r) => r.pattern === "/api/spotify/enrich/runs")!.handlers.GET!;
    const ok = await call(runs, "GET", "/api/spotify/enrich/runs?limit=5&before=9223372036854775807", { cookie: people.bob.cookie });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ runs: [], next: null });
  });

  it("every route with an id answers 404 for another person's id", async () => {
    const withIds = routes.filter((r) => r.params.length > 0 && !PUBLIC.has(r.pattern));
    expect(withIds.map((r) => r.pattern)).toContain("/api/uploads/[uploadId]/status");
    // Real ids that belong to Ann, asked for by Bob; and the owner herself gets them.
    const annsUpload = await t.db.insertInto("upload_jobs").values({ user_id: people.ann.id }).returning("id").executeTakeFirstOrThrow();
    const owned: Record<string, string> = { uploadId: annsUpload.id };
    for (const r of withIds) {
      for (const [method, handler] of Object.entries(r.handlers)) {
        const params = Object.fromEntries(r.params.map((p) => [p, owned[p]!]));
        expect(Object.values(params).every(Boolean), `an owned id for every parameter of ${r.pattern}`).toBe(true);
        const res = await call(handler, method, url(r, params), { cookie: people.bob.cookie, params, origin: APP_URL });
        expect(res.status, `${method} ${r.pattern}`).toBe(404);
        const own = await call(handler, method, url(r, params), { cookie: people.ann.cookie, params, origin: APP_URL });
        expect(own.status, `${method} ${r.pattern} for its owner`).toBe(200);
      }
    }
  });

  it("GET /api/me shows only the caller", async () => {
    const me = routes.find((r) => r.pattern === "/api/me")!.handlers.GET!;
    const res = await call(me, "GET", "/api/me", { cookie: people.ann.cookie });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.user).toMatchObject({ spotifyId: "ann", displayName: "ANN" });
    expect(body.connection).toMatchObject({ connected: true, state: "valid", needsReconnect: false });
    expect(JSON.stringify(body)).not.toMatch(/at-ann|rt-ann/);
  });

  it("DELETE /api/spotify/connection deletes the caller's tokens only", async () => {
    const route = routes.find((r) => r.pattern === "/api/spotify/connection")!;
    const res = await call(route.handlers.DELETE!, "DELETE", route.pattern, { cookie: people.ann.cookie, origin: APP_URL });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ connected: false, state: "none", needsReconnect: true });
    const left = await t.db.selectFrom("spotify_tokens").select("user_id").execute();
    expect(left.map((r) => r.user_id)).toEqual([people.bob.id]);
  });

  it("POST /api/auth/logout ends the session", async () => {
    const logout = routes.find((r) => r.pattern === "/api/auth/logout")!.handlers.POST!;
    const me = routes.find((r) => r.pattern === "/api/me")!.handlers.GET!;
    const s = await createSession(t.db, people.bob.id);
    const cookie = `${SESSION_COOKIE}=${s.token}`;
    expect((await call(me, "GET", "/api/me", { cookie })).status).toBe(200);
    const res = await call(logout, "POST", "/api/auth/logout", { cookie, origin: APP_URL });
    expect(res.status).toBe(200);
    expect(res.headers.get("set-cookie")).toMatch(/liner_session=;.*Max-Age=0/);
    expect((await call(me, "GET", "/api/me", { cookie })).status).toBe(401);
  });

  it("DELETE /api/account deletes the caller and all their data, nobody else's", async () => {
    await t.db.insertInto("upload_jobs").values({ user_id: people.ann.id }).execute();
    await t.db.insertInto("upload_jobs").values({ user_id: people.bob.id }).execute();
    await t.db.insertInto("enrichment_runs").values({ user_id: people.ann.id, trigger: "manual" }).execute();
    await t.db.insertInto("listens").values({ user_id: people.ann.id, played_at: new Date(), ms_played: 1, kind: "track", dedupe_key: Buffer.from("a") }).execute();
    const account = routes.find((r) => r.pattern === "/api/account")!.handlers.DELETE!;
    const res = await call(account, "DELETE", "/api/account", { cookie: people.ann.cookie, origin: APP_URL });
    expect(res.status).toBe(200);
    const count = async (table: "users" | "upload_jobs" | "enrichment_runs" | "listens" | "sessions") =>
      Number((await t.db.selectFrom(table).select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow()).n);
    expect(await count("users")).toBe(1);
    expect(await count("upload_jobs")).toBe(1);
    expect(await count("enrichment_runs")).toBe(0);
    expect(await count("listens")).toBe(0);
    const sessions = await t.db.selectFrom("sessions").select("user_id").execute();
    expect(new Set(sessions.map((s) => s.user_id))).toEqual(new Set([people.bob.id]));
  });
});
