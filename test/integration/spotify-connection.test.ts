import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession, SESSION_COOKIE } from "../../src/lib/auth/sessions";
import { decryptToken } from "../../src/lib/crypto/token-crypto";
import { loadConfig, type Config } from "../../src/lib/config/env";
import { closeAppDb } from "../../src/lib/db/app-db";
import { closeDb, createDb, createPool } from "../../src/lib/db/pool";
import { ConnectionUnavailable, getAccessToken } from "../../src/lib/spotify/connection";
import { generateCatalogue, startSpotifySimulator, type SpotifySimulator } from "../spotify-sim";
import { APP_URL, call, loadApiRoutes, type RouteModule } from "../support/routes";
import { signInThroughRoutes, simulatorEnv } from "../support/spotify";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

const MONTH = 31 * 86_400_000;

describe("Sign in with Spotify and keeping the connection alive (against the simulator)", () => {
  let t: TestDatabase;
  let sim: SpotifySimulator;
  let routes: RouteModule[];
  let config: Config;
  const key = randomBytes(32);

  beforeAll(async () => {
    t = await createTestDatabase();
    sim = await startSpotifySimulator({ catalogue: generateCatalogue({ seed: "auth", artists: 3 }), users: [{ id: "ann-id", accountId: "ann-account", displayName: "Ann", email: "ann@example.test", country: "SE", product: "premium" }] });
    const env = { DATABASE_URL: t.url, APP_URL, TOKEN_ENCRYPTION_KEY: key.toString("base64"), ...simulatorEnv(sim) };
    Object.assign(process.env, env);
    config = loadConfig(env);
    routes = await loadApiRoutes();
  });
  afterAll(async () => {
    await closeAppDb();
    await sim.close();
    await t.drop();
  });

  const userId = async (spotifyId: string) => (await t.db.selectFrom("users").select("id").where("spotify_id", "=", spotifyId).executeTakeFirstOrThrow()).id;
  const tokenRow = async (spotifyId: string) => t.db.selectFrom("spotify_tokens").selectAll().where("user_id", "=", await userId(spotifyId)).executeTakeFirstOrThrow();
  const expireSoon = async (spotifyId: string) =>
    // An hour-long token with a minute left.
    t.db.updateTable("spotify_tokens").set({ expires_at: new Date(Date.now() + 60_000), last_refreshed_at: new Date(Date.now() - 59 * 60_000) }).where("user_id", "=", await userId(spotifyId)).execute();

  it("signs in with PKCE and no scopes, identifies the person by account_id, stores tokens encrypted", async () => {
    const r = await signInThroughRoutes(routes, sim, "ann-id");
    expect(r.authorizeUrl.searchParams.get("code_challenge_method")).toBe("S256");
    expect(r.authorizeUrl.searchParams.get("redirect_uri")).toBe(`${APP_URL}/api/auth/callback`);
    expect(r.authorizeUrl.searchParams.get("scope") ?? "").toBe("");
    expect(r.location).toBe(`${APP_URL}/dashboard`);
    expect(r.cookie).toBeTruthy();
    const me = await call(routes.find((x) => x.pattern === "/api/me")!.handlers.GET!, "GET", "/api/me", { cookie: r.cookie });
    expect(await me.json()).toMatchObject({ user: { spotifyId: "ann-account", displayName: "Ann" }, connection: { connected: true, state: "valid" } });
    const row = await tokenRow("ann-account");
    const stored = [row.access_token_enc, row.refresh_token_enc!];
    const issued = sim.requestLog().filter((l) => l.endpoint === "token:authorization_code" && l.status === 200);
    expect(issued).toHaveLength(1);
    // Stored as ciphertext; decrypting gives tokens the simulator accepts.
    const access = decryptToken(key, row.access_token_enc);
    for (const b of stored) expect(b.toString("latin1")).not.toContain(access);
    const check = await fetch(`${sim.apiBaseUrl}/me`, { headers: { authorization: `Bearer ${access}` } });
    expect(check.status).toBe(200);
  });

  it("identifies by id when /me has no account_id, and refuses a forged state or a denial", async () => {
    const bob = await signInThroughRoutes(routes, sim, "bob-id");
    expect(bob.location).toBe(`${APP_URL}/dashboard`);
    await userId("bob-id");
    const forged = await signInThroughRoutes(routes, sim, "eve", { tamperState: true });
    expect(forged.location).toBe(`${APP_URL}/?error=state_mismatch`);
    expect(forged.cookie).toBeUndefined();
    sim.setDenyAuthorization(true);
    const denied = await signInThroughRoutes(routes, sim, "eve");
    sim.setDenyAuthorization(false);
    expect(denied.location).toBe(`${APP_URL}/?error=access_denied`);
    expect(await t.db.selectFrom("users").select("id").where("spotify_id", "=", "eve").executeTakeFirst()).toBeUndefined();
  });

  it("uses the stored token while fresh, refreshes under five minutes and stores the rotated refresh token", async () => {
    const id = await userId("ann-account");
    const before = await tokenRow("ann-account");
    const same = await getAccessToken(t.db, config, key, id);
    expect(same).toBe(decryptToken(key, before.access_token_enc));
    await expireSoon("ann-account");
    const refreshed = await getAccessToken(t.db, config, key, id);
    expect(refreshed).not.toBe(same);
    const after = await tokenRow("ann-account");
    expect(decryptToken(key, after.refresh_token_enc!)).not.toBe(decryptToken(key, before.refresh_token_enc!));
    expect(after.expires_at.getTime()).toBeGreaterThan(Date.now() + 50 * 60_000);
    expect(after.last_refreshed_at).not.toBeNull();
    // The rotated-away token is dead; the stored one works.
    const old = await fetch(`${sim.accountsBaseUrl}/api/token`, { method: "POST", body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: decryptToken(key, before.refresh_token_enc!), client_id: sim.clientId }) });
    expect(await old.json()).toEqual({ error: "invalid_grant", error_description: "Refresh token revoked" });
    await expireSoon("ann-account");
    expect(await getAccessToken(t.db, config, key, id)).toBeTruthy();
  });

  it("refreshes once when the API refused the token (401), and keeps the old refresh token when none comes back", async () => {
    const id = await userId("bob-id");
    const current = await getAccessToken(t.db, config, key, id);
    sim.expireAccessTokens();
    const next = await getAccessToken(t.db, config, key, id, { rejected: current });
    expect(next).not.toBe(current);
    sim.setAccountsOptions({ rotatePkce: false, omitRefreshTokenRate: 1 });
    try {
      const before = decryptToken(key, (await tokenRow("bob-id")).refresh_token_enc!);
      await expireSoon("bob-id");
      await getAccessToken(t.db, config, key, id);
      const kept = decryptToken(key, (await tokenRow("bob-id")).refresh_token_enc!);
      expect(kept).toBe(before);
      await expireSoon("bob-id");
      await getAccessToken(t.db, config, key, id);
      expect((await tokenRow("bob-id")).state).toBe("valid");
    } finally {
      sim.setAccountsOptions({ rotatePkce: true, omitRefreshTokenRate: 0.5 });
    }
  });

  it("two workers refreshing the same person at once spend the rotating refresh token once", async () => {
    const id = await userId("ann-account");
    const second = createPool(t.url);
    const db2 = createDb(second);
    try {
      await expireSoon("ann-account");
      sim.resetStats();
      const tokens = await Promise.all([
        getAccessToken(t.db, config, key, id),
        getAccessToken(db2, config, key, id),
        getAccessToken(t.db, config, key, id),
        getAccessToken(db2, config, key, id),
      ]);
      expect(new Set(tokens).size).toBe(1);
      expect(sim.stats().tokenRequests).toEqual({ "refresh_token:200": 1 });
      expect((await tokenRow("ann-account")).state).toBe("valid");
    } finally {
      await closeDb(db2, second);
    }
  });

  it("a revoked grant marks the connection revoked and stops token use; signing in again reconnects", async () => {
    const id = await userId("bob-id");
    sim.revokeUser("bob-id");
    await expireSoon("bob-id");
    await expect(getAccessToken(t.db, config, key, id)).rejects.toMatchObject({ name: "ConnectionUnavailable", state: "revoked" });
    const row = await tokenRow("bob-id");
    expect(row.state).toBe("revoked");
    expect(row.last_error).toContain("Refresh token revoked");
    // No call to Spotify while revoked.
    sim.resetStats();
    await expect(getAccessToken(t.db, config, key, id)).rejects.toBeInstanceOf(ConnectionUnavailable);
    expect(sim.stats().tokenRequests).toEqual({});
    const again = await signInThroughRoutes(routes, sim, "bob-id");
    expect(again.location).toBe(`${APP_URL}/dashboard`);
    expect((await tokenRow("bob-id")).state).toBe("valid");
    expect(await getAccessToken(t.db, config, key, id)).toBeTruthy();
  });

  it("six months after the authorisation the refresh token dies: the connection is marked expired", async () => {
    await signInThroughRoutes(routes, sim, "carol-id");
    const id = await userId("carol-id");
    await t.db.updateTable("spotify_tokens").set({ authorized_at: new Date(Date.now() - 6 * MONTH), expires_at: new Date(Date.now() + 60_000) }).where("user_id", "=", id).execute();
    sim.clock.advance(6 * MONTH);
    await expect(getAccessToken(t.db, config, key, id)).rejects.toMatchObject({ state: "expired" });
    const status = await call(routes.find((x) => x.pattern === "/api/me")!.handlers.GET!, "GET", "/api/me", { cookie: (await signInCookieFor(id)) });
    expect(await status.json()).toMatchObject({ connection: { connected: false, state: "expired", needsReconnect: true } });
  });

  async function signInCookieFor(id: string) {
    const s = await createSession(t.db, id);
    return `${SESSION_COOKIE}=${s.token}`;
  }
});
