import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../support/liner-process";
import { openApiValidator } from "../support/openapi";
import { catalogueFromExtendedHistory, type ExtendedEntry } from "./from-history";
import { generateCatalogue } from "./generate-catalogue";
import { startSpotifySimulator, type SpotifySimulator } from "./server";

const REDIRECT = "http://127.0.0.1:3999/callback";
const DEV_DROPPED = ["popularity", "followers", "available_markets", "linked_from", "label"];

function pkce() {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

async function authorize(sim: SpotifySimulator, params: Record<string, string>) {
  const u = new URL(`${sim.accountsBaseUrl}/authorize`);
  for (const [k, v] of Object.entries({ client_id: sim.clientId, response_type: "code", redirect_uri: REDIRECT, ...params })) u.searchParams.set(k, v);
  return fetch(u, { redirect: "manual" });
}

async function token(sim: SpotifySimulator, form: Record<string, string>, basic = false) {
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  if (basic) headers.authorization = `Basic ${Buffer.from(`${sim.clientId}:${sim.clientSecret}`).toString("base64")}`;
  const res = await fetch(`${sim.accountsBaseUrl}/api/token`, { method: "POST", headers, body: new URLSearchParams(form) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The whole PKCE sign-in as a browser and a server would do it; returns the token answer. */
async function signIn(sim: SpotifySimulator, user = "alice") {
  const { verifier, challenge } = pkce();
  const res = await authorize(sim, { code_challenge_method: "S256", code_challenge: challenge, state: "s1", sim_user: user });
  const code = new URL(res.headers.get("location")!).searchParams.get("code")!;
  const t = await token(sim, { grant_type: "authorization_code", code, redirect_uri: REDIRECT, client_id: sim.clientId, code_verifier: verifier });
  expect(t.status).toBe(200);
  return t.body as { access_token: string; refresh_token: string; expires_in: number };
}

async function appToken(sim: SpotifySimulator) {
  const t = await token(sim, { grant_type: "client_credentials" }, true);
  return t.body.access_token as string;
}

async function api(sim: SpotifySimulator, pathAndQuery: string, bearer: string) {
  const res = await fetch(`${sim.apiBaseUrl}${pathAndQuery}`, { headers: { authorization: `Bearer ${bearer}` } });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Web API JSON read ad hoc by assertions
  return { status: res.status, headers: res.headers, body: body as Record<string, any> };
}

describe("Accounts service", () => {
  let sim: SpotifySimulator;
  beforeAll(async () => {
    sim = await startSpotifySimulator({ catalogue: generateCatalogue({ seed: "acc", artists: 5 }) });
  });
  afterAll(() => sim.close());

  it("auto-approves with PKCE, echoes state, and the code works once", async () => {
    const { verifier, challenge } = pkce();
    const res = await authorize(sim, { code_challenge_method: "S256", code_challenge: challenge, state: "xyz" });
    expect(res.status).toBe(302);
    const back = new URL(res.headers.get("location")!);
    expect(back.origin + back.pathname).toBe(REDIRECT);
    expect(back.searchParams.get("state")).toBe("xyz");
    const code = back.searchParams.get("code")!;
    const form = { grant_type: "authorization_code", code, redirect_uri: REDIRECT, client_id: sim.clientId, code_verifier: verifier };
    const first = await token(sim, form);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ token_type: "Bearer", expires_in: 3600 });
    expect(typeof first.body.refresh_token).toBe("string");
    const again = await token(sim, form);
    expect(again).toEqual({ status: 400, body: { error: "invalid_grant", error_description: "Invalid authorization code" } });
  });

  it("checks the PKCE verifier", async () => {
    const { challenge } = pkce();
    const res = await authorize(sim, { code_challenge_method: "S256", code_challenge: challenge });
    const code = new URL(res.headers.get("location")!).searchParams.get("code")!;
    const t = await token(sim, { grant_type: "authorization_code", code, redirect_uri: REDIRECT, client_id: sim.clientId, code_verifier: pkce().verifier });
    expect(t).toEqual({ status: 400, body: { error: "invalid_grant", error_description: "code_verifier was incorrect" } });
  });

  it("accepts the authorization code flow without PKCE when the secret is sent", async () => {
    const res = await authorize(sim, {});
    const code = new URL(res.headers.get("location")!).searchParams.get("code")!;
    const t = await token(sim, { grant_type: "authorization_code", code, redirect_uri: REDIRECT }, true);
    expect(t.status).toBe(200);
    expect(t.body.refresh_token).toBeTruthy();
  });

  it("rejects localhost redirect URIs, plain-http hosts and unknown clients, without redirecting", async () => {
    const local = await authorize(sim, { redirect_uri: "http://localhost:3000/cb" });
    expect(local.status).toBe(400);
    expect(await local.text()).toBe("INVALID_CLIENT: Insecure redirect URI");
    const http = await authorize(sim, { redirect_uri: "http://example.com/cb" });
    expect(http.status).toBe(400);
    const unknown = await authorize(sim, { client_id: "nope" });
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toBe("INVALID_CLIENT: Invalid client");
    const badMethod = await authorize(sim, { code_challenge_method: "plain", code_challenge: pkce().challenge, state: "k" });
    expect(new URL(badMethod.headers.get("location")!).searchParams.get("error")).toBe("invalid_request");
    sim.setDenyAuthorization(true);
    const denied = await authorize(sim, { state: "d" });
    sim.setDenyAuthorization(false);
    const deniedBack = new URL(denied.headers.get("location")!).searchParams;
    expect([deniedBack.get("error"), deniedBack.get("state")]).toEqual(["access_denied", "d"]);
  });

  it("rotates PKCE refresh tokens; reusing the old one is 'Refresh token revoked'", async () => {
    const first = await signIn(sim, "rotator");
    const r1 = await token(sim, { grant_type: "refresh_token", refresh_token: first.refresh_token, client_id: sim.clientId });
    expect(r1.status).toBe(200);
    expect(r1.body.refresh_token).toBeTruthy();
    expect(r1.body.refresh_token).not.toBe(first.refresh_token);
    const reuse = await token(sim, { grant_type: "refresh_token", refresh_token: first.refresh_token, client_id: sim.clientId });
    expect(reuse).toEqual({ status: 400, body: { error: "invalid_grant", error_description: "Refresh token revoked" } });
    const r2 = await token(sim, { grant_type: "refresh_token", refresh_token: r1.body.refresh_token as string, client_id: sim.clientId });
    expect(r2.status).toBe(200);
  });

  it("sometimes omits the refresh token outside PKCE, and the old one keeps working", async () => {
    const res = await authorize(sim, { sim_user: "classic" });
    const code = new URL(res.headers.get("location")!).searchParams.get("code")!;
    const t = await token(sim, { grant_type: "authorization_code", code, redirect_uri: REDIRECT }, true);
    const refresh = t.body.refresh_token as string;
    let omitted = 0;
    for (let i = 0; i < 10; i++) {
      const r = await token(sim, { grant_type: "refresh_token", refresh_token: refresh }, true);
      expect(r.status).toBe(200);
      if (r.body.refresh_token === undefined) omitted++;
      else expect(r.body.refresh_token).toBe(refresh);
    }
    expect(omitted).toBeGreaterThan(0);
    expect(omitted).toBeLessThan(10);
  });

  it("kills refresh tokens six months after the authorisation, and on revocation", async () => {
    const a = await signIn(sim, "expiring");
    sim.clock.advance(182 * 86_400_000);
    const stillOk = await token(sim, { grant_type: "refresh_token", refresh_token: a.refresh_token, client_id: sim.clientId });
    expect(stillOk.status).toBe(200);
    sim.clock.advance(2 * 86_400_000);
    const dead = await token(sim, { grant_type: "refresh_token", refresh_token: stillOk.body.refresh_token as string, client_id: sim.clientId });
    expect(dead).toEqual({ status: 400, body: { error: "invalid_grant", error_description: "Refresh token expired" } });

    const b = await signIn(sim, "revoker");
    expect((await api(sim, "/me", b.access_token)).status).toBe(200);
    sim.revokeUser("revoker");
    expect((await api(sim, "/me", b.access_token)).status).toBe(401);
    const r = await token(sim, { grant_type: "refresh_token", refresh_token: b.refresh_token, client_id: sim.clientId });
    expect(r.body).toEqual({ error: "invalid_grant", error_description: "Refresh token revoked" });
  });

  it("expires access tokens: 401 on the Web API until refreshed", async () => {
    const a = await signIn(sim, "expiry");
    sim.expireAccessTokens();
    const r = await api(sim, "/me", a.access_token);
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ error: { status: 401, message: "The access token expired" } });
    const fresh = await token(sim, { grant_type: "refresh_token", refresh_token: a.refresh_token, client_id: sim.clientId });
    expect((await api(sim, "/me", fresh.body.access_token as string)).status).toBe(200);
  });

  it("answers bad clients and grant types in the OAuth error shape", async () => {
    expect(await token(sim, { grant_type: "client_credentials", client_id: "x", client_secret: "y" })).toEqual({ status: 400, body: { error: "invalid_client", error_description: "Invalid client" } });
    expect((await token(sim, { grant_type: "password" }, true)).body.error).toBe("unsupported_grant_type");
    const cc = await appToken(sim);
    const me = await api(sim, "/me", cc);
    expect(me.status).toBe(401);
  });
});

describe("Web API", () => {
  let sim: SpotifySimulator;
  let bearer: string;
  const validate = openApiValidator();
  const validateDev = openApiValidator(DEV_DROPPED);
  beforeAll(async () => {
    sim = await startSpotifySimulator({ catalogue: generateCatalogue({ seed: "web", artists: 30 }), users: [{ id: "u1", displayName: "U One", email: "u1@example.test", country: "SE", product: "premium", accountId: "acc-u1" }] });
    bearer = await appToken(sim);
  });
  afterAll(() => sim.close());
  afterEach(() => sim.setProfile("development"));

  const anyTrack = () => [...sim.catalogue.tracks.values()].find((t) => t.variant === "original")!;

  it("serves tracks, albums, album tracks and artists that match the OpenAPI schemas (extended profile)", async () => {
    sim.setProfile("extended");
    const t = anyTrack();
    const track = await api(sim, `/tracks/${t.id}`, bearer);
    expect(track.status).toBe(200);
    expect(validate("TrackObject")(track.body), JSON.stringify(validate("TrackObject").errors)).toBe(true);
    expect(track.body.popularity).toBe(t.popularity);
    const album = await api(sim, `/albums/${t.albumId}`, bearer);
    expect(validate("AlbumObject")(album.body), JSON.stringify(validate("AlbumObject").errors)).toBe(true);
    expect(album.body.tracks.items.map((i: { id: string }) => i.id)).toContain(t.id);
    const page = await api(sim, `/albums/${t.albumId}/tracks?limit=1&offset=0`, bearer);
    expect(validate("PagingSimplifiedTrackObject")(page.body)).toBe(true);
    expect(page.body.items).toHaveLength(1);
    const artist = await api(sim, `/artists/${t.artistIds[0]}`, bearer);
    expect(validate("ArtistObject")(artist.body), JSON.stringify(validate("ArtistObject").errors)).toBe(true);
    expect(artist.body.images.map((i: { width: number }) => i.width)).toEqual([640, 300, 64]);
    const img = await fetch(artist.body.images[2].url);
    expect(img.headers.get("content-type")).toBe("image/svg+xml");
  });

  it("leaves out what development mode no longer gets, and keeps the ISRC", async () => {
    const t = anyTrack();
    const track = await api(sim, `/tracks/${t.id}`, bearer);
    expect(validateDev("TrackObject")(track.body)).toBe(true);
    // Against the full document it fails only for the fields development mode dropped.
    expect(validate("TrackObject")(track.body)).toBe(false);
    const missing = validate("TrackObject").errors!.map((e) => (e.params as { missingProperty?: string }).missingProperty);
    expect(missing.every((m) => m !== undefined && DEV_DROPPED.includes(m))).toBe(true);
    expect(track.body.external_ids).toEqual({ isrc: t.isrc });
    for (const f of ["popularity", "available_markets", "linked_from"]) expect(track.body).not.toHaveProperty(f);
    expect(track.body.album).not.toHaveProperty("available_markets");
    const album = await api(sim, `/albums/${t.albumId}`, bearer);
    expect(validateDev("AlbumObject")(album.body), JSON.stringify(validateDev("AlbumObject").errors)).toBe(true);
    expect(album.body).not.toHaveProperty("label");
    expect(album.body).not.toHaveProperty("popularity");
    const artist = await api(sim, `/artists/${t.artistIds[0]}`, bearer);
    expect(artist.body).not.toHaveProperty("followers");
    expect(artist.body).not.toHaveProperty("popularity");
    expect(validateDev("ArtistObject")(artist.body)).toBe(true);
  });

  it("answers /me for user tokens with account_id when the user has one", async () => {
    const u = await signIn(sim, "u1");
    const me = await api(sim, "/me", u.access_token);
    expect(validate("PrivateUserObject")(me.body), JSON.stringify(validate("PrivateUserObject").errors)).toBe(true);
    expect(me.body).toMatchObject({ id: "u1", account_id: "acc-u1", display_name: "U One" });
  });

  it("refuses malformed ids with 400 and unknown ones with 404, as ErrorObjects", async () => {
    const bad = await api(sim, "/tracks/not-an-id", bearer);
    expect(bad.status).toBe(400);
    expect(validate("ErrorObject")(bad.body.error)).toBe(true);
    const missing = await api(sim, "/tracks/0000000000000000000000", bearer);
    expect(missing).toMatchObject({ status: 404, body: { error: { status: 404 } } });
    expect((await api(sim, "/albums/0000000000000000000000", bearer)).status).toBe(404);
    expect((await api(sim, "/artists/0000000000000000000000", bearer)).status).toBe(404);
  });

  it("batch endpoints: 403 in development, working with their maximum sizes in extended", async () => {
    const ids = [...sim.catalogue.tracks.keys()];
    const dev = await api(sim, `/tracks?ids=${ids.slice(0, 3).join(",")}`, bearer);
    expect(dev.status).toBe(403);
    sim.setProfile("extended");
    const ok = await api(sim, `/tracks?ids=${[...ids.slice(0, 49), "0000000000000000000000"].join(",")}`, bearer);
    expect(ok.status).toBe(200);
    expect(ok.body.tracks).toHaveLength(50);
    expect(ok.body.tracks[49]).toBeNull();
    expect(ok.body.tracks[0].id).toBe(ids[0]);
    expect((await api(sim, `/tracks?ids=${ids.slice(0, 51).join(",")}`, bearer)).status).toBe(400);
    const albumIds = [...sim.catalogue.albums.keys()];
    expect((await api(sim, `/albums?ids=${albumIds.slice(0, 20).join(",")}`, bearer)).body.albums).toHaveLength(20);
    expect((await api(sim, `/albums?ids=${albumIds.slice(0, 21).join(",")}`, bearer)).status).toBe(400);
    const artistIds = [...sim.catalogue.artists.keys()].slice(0, 50);
    expect((await api(sim, `/artists?ids=${artistIds.join(",")}`, bearer)).body.artists.map((a: { id: string }) => a.id)).toEqual(artistIds);
  });

  it("searches with filters and quoted values, limit 5 by default and at most 10", async () => {
    const t = anyTrack();
    const artist = sim.catalogue.artists.get(t.artistIds[0]!)!;
    const q = `track:"${t.name}" artist:"${artist.name}"`;
    const r = await api(sim, `/search?type=track&q=${encodeURIComponent(q)}`, bearer);
    expect(r.status).toBe(200);
    expect(validateDev("PagingTrackObject")(r.body.tracks), JSON.stringify(validateDev("PagingTrackObject").errors)).toBe(true);
    expect(r.body.tracks.limit).toBe(5);
    expect(r.body.tracks.items[0].id).toBe(t.id);
    expect((await api(sim, `/search?type=track&limit=11&q=love`, bearer)).status).toBe(400);
    expect((await api(sim, `/search?type=track&limit=10&q=love`, bearer)).body.tracks.items.length).toBeLessThanOrEqual(10);
    expect((await api(sim, `/search?q=love`, bearer)).status).toBe(400);
    const isrc = await api(sim, `/search?type=track&q=isrc:${t.isrc}`, bearer);
    expect(isrc.body.tracks.items.map((i: { id: string }) => i.id)).toEqual([t.id]);
    const year = sim.catalogue.albums.get(t.albumId)!.releaseDate.slice(0, 4);
    const wrongYear = await api(sim, `/search?type=track&q=${encodeURIComponent(`${q} year:${Number(year) + 1}`)}`, bearer);
    expect(wrongYear.body.tracks.total).toBe(0);
    const right = await api(sim, `/search?type=track&q=${encodeURIComponent(`${q} year:${year}`)}`, bearer);
    expect(right.body.tracks.items[0].id).toBe(t.id);
  });

  it("ranks exact titles first, then by hidden popularity, and pages with offset", async () => {
    const remaster = [...sim.catalogue.tracks.values()].find((t) => t.variant === "remaster")!;
    const original = sim.catalogue.tracks.get(remaster.originalId!)!;
    const artist = sim.catalogue.artists.get(original.artistIds[0]!)!.name;
    const r = await api(sim, `/search?type=track&limit=10&q=${encodeURIComponent(`track:"${original.name}" artist:"${artist}"`)}`, bearer);
    const ids = r.body.tracks.items.map((i: { id: string }) => i.id);
    expect(ids[0]).toBe(original.id);
    expect(ids).toContain(remaster.id);
    const all = await api(sim, `/search?type=track&limit=10&q=love`, bearer);
    const second = await api(sim, `/search?type=track&limit=5&offset=5&q=love`, bearer);
    expect(second.body.tracks.items.map((i: { id: string }) => i.id)).toEqual(all.body.tracks.items.slice(5, 10).map((i: { id: string }) => i.id));
  });

  it("folds case and diacritics in search and finds non-Latin titles", async () => {
    const cat = generateCatalogue({ seed: "web", artists: 30 });
    const accented = [...cat.artists.values()].find((a) => /[À-ÿ]/.test(a.name));
    expect(accented).toBeTruthy();
    const plain = accented!.name.normalize("NFKD").replace(/\p{M}/gu, "").toUpperCase();
    const r = await api(sim, `/search?type=track&q=${encodeURIComponent(`artist:"${plain}"`)}`, bearer);
    expect(r.body.tracks.total).toBeGreaterThan(0);
    const nonLatin = [...sim.catalogue.tracks.values()].find((t) => /[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af\u0400-\u04ff]/.test(t.name));
    expect(nonLatin).toBeTruthy();
    const nl = await api(sim, `/search?type=track&q=${encodeURIComponent(`track:"${nonLatin!.name}"`)}`, bearer);
    expect(nl.body.tracks.items.length).toBeGreaterThan(0);
  });
});

describe("limits", () => {
  it("429 with Retry-After over the 30-second window; every call counts, failed ones too", async () => {
    const sim = await startSpotifySimulator({ catalogue: generateCatalogue({ seed: "lim", artists: 3 }), limits: { windowCalls: 5 } });
    try {
      const bearer = await appToken(sim);
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await api(sim, "/tracks/0000000000000000000000", bearer)).status);
      expect(statuses).toEqual([404, 404, 404, 404, 404]);
      const limited = await api(sim, "/tracks/0000000000000000000000", bearer);
      expect(limited.status).toBe(429);
      expect(limited.body).toEqual({ error: { status: 429, message: "API rate limit exceeded" } });
      const after = Number(limited.headers.get("retry-after"));
      expect(after).toBeGreaterThanOrEqual(1);
      expect(after).toBeLessThanOrEqual(30);
      sim.clock.advance(30_000);
      expect((await api(sim, "/tracks/0000000000000000000000", bearer)).status).toBe(404);
      const s = sim.stats();
      expect(s.rateLimited).toEqual({ rate: 1, quota: 0 });
      expect(s.byEndpoint["tracks/{id}"]).toEqual({ 404: 6, 429: 1 });
      expect(s.maxCallsInWindow[sim.clientId]).toBe(6);
    } finally {
      await sim.close();
    }
  });

  it("429 QUOTA_EXCEEDED over the daily quota, with a Retry-After of hours; a time scale runs a day in seconds", async () => {
    const sim = await startSpotifySimulator({ catalogue: generateCatalogue({ seed: "lim", artists: 3 }), limits: { windowCalls: 1000, dailyCalls: 8 } });
    try {
      const bearer = await appToken(sim);
      const id = [...sim.catalogue.tracks.keys()][0];
      for (let i = 0; i < 8; i++) {
        expect((await api(sim, `/tracks/${id}`, bearer)).status).toBe(200);
        sim.clock.advance(60_000);
      }
      const q = await api(sim, `/tracks/${id}`, bearer);
      expect(q.status).toBe(429);
      expect(q.body.error.reason).toBe("QUOTA_EXCEEDED");
      expect(Number(q.headers.get("retry-after"))).toBeGreaterThan(60 * 60);
      expect(sim.stats().rateLimited.quota).toBe(1);
    } finally {
      await sim.close();
    }

    const fast = await startSpotifySimulator({ catalogue: generateCatalogue({ seed: "lim", artists: 3 }), limits: { windowCalls: 1000, dailyCalls: 3 }, timeScale: 86_400, accounts: { accessTokenSeconds: 365 * 86_400 } });
    try {
      const bearer = await appToken(fast);
      for (let i = 0; i < 3; i++) await api(fast, "/tracks/0000000000000000000000", bearer);
      const q = await api(fast, "/tracks/0000000000000000000000", bearer);
      expect(q.status).toBe(429);
      expect(q.headers.get("retry-after")).toBe("1");
      await new Promise((r) => setTimeout(r, 1100));
      expect((await api(fast, "/tracks/0000000000000000000000", bearer)).status).toBe(404);
    } finally {
      await fast.close();
    }
  });
});

describe("faults", () => {
  it("are deterministic for a seed and reach the client as 5xx, truncated or malformed JSON, resets and slow answers", async () => {
    const run = async () => {
      const sim = await startSpotifySimulator({ catalogue: generateCatalogue({ seed: "f", artists: 3 }), limits: { windowCalls: 10_000 }, faults: { seed: "s", serverErrorRate: 0.2, truncatedRate: 0.1, malformedRate: 0.1, resetRate: 0.1 } });
      const bearer = await appToken(sim);
      const id = [...sim.catalogue.tracks.keys()][0];
      const seen: string[] = [];
      for (let i = 0; i < 40; i++) {
        try {
          const res = await fetch(`${sim.apiBaseUrl}/tracks/${id}`, { headers: { authorization: `Bearer ${bearer}` } });
          const text = await res.text();
          if (res.status >= 500) seen.push("5xx");
          else {
            try {
              JSON.parse(text);
              seen.push("ok");
            } catch {
              seen.push("bad-json");
            }
          }
        } catch {
          seen.push("reset");
        }
      }
      const stats = sim.stats();
      await sim.close();
      return { seen, stats };
    };
    const a = await run();
    const b = await run();
    expect(a.seen).toEqual(b.seen);
    for (const kind of ["ok", "5xx", "bad-json", "reset"]) expect(a.seen).toContain(kind);
    expect(a.stats.faults.reset).toBe(a.seen.filter((s) => s === "reset").length);

    const sim = await startSpotifySimulator({ catalogue: generateCatalogue({ seed: "f", artists: 3 }) });
    try {
      const bearer = await appToken(sim);
      sim.queueFaults(["slow", null]);
      sim.setFaults({ slowMs: 300 });
      const t0 = Date.now();
      expect((await api(sim, "/tracks/0000000000000000000000", bearer)).status).toBe(404);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
      const log = sim.requestLog();
      expect(log.at(-1)).toMatchObject({ endpoint: "tracks/{id}", status: 404, clientId: sim.clientId });
    } finally {
      await sim.close();
    }
  });
});

describe("catalogues", () => {
  it("generates the same catalogue for a seed, with every hard case labelled", () => {
    const a = generateCatalogue({ seed: 7, artists: 80 });
    const b = generateCatalogue({ seed: 7, artists: 80 });
    expect([...a.tracks.keys()]).toEqual([...b.tracks.keys()]);
    const variants = new Set([...a.tracks.values()].map((t) => t.variant));
    for (const v of ["original", "remaster", "live", "karaoke", "tribute", "homonym", "remix", "sped_up"]) expect(variants).toContain(v);
    expect([...a.tracks.values()].some((t) => t.name.includes("(feat. "))).toBe(true);
    for (const t of a.tracks.values()) {
      if (t.variant !== "original") expect(a.tracks.has(t.originalId!)).toBe(true);
      expect(t.isrc).toMatch(/^[A-Z]{2}[A-Z0-9]{3}\d{7}$/);
    }
    const other = generateCatalogue({ seed: 8, artists: 80 });
    expect([...other.tracks.keys()].filter((id) => a.tracks.has(id))).toEqual([]);
  });

  it("builds a catalogue from an Extended Streaming History, under the export's own ids", () => {
    // test/fixtures/exports/extended-old: 6 tracks with spotify:track: URIs, one local file, one
    // episode and null rows (neither of which is a catalogue track); Hyperballad is played twice.
    const dir = path.join(repoRoot, "test/fixtures/exports/extended-old");
    const entries = ["endsong_0.json", "endsong_1.json"].flatMap((f) => JSON.parse(readFileSync(path.join(dir, f), "utf8")) as ExtendedEntry[]);
    const cat = catalogueFromExtendedHistory(entries);
    expect(cat.tracks.size).toBe(6);
    const ids = new Set(entries.map((x) => x.spotify_track_uri).filter((u) => u?.startsWith("spotify:track:")).map((u) => u!.split(":")[2]!));
    expect(new Set(cat.tracks.keys())).toEqual(ids);
    const e = entries.find((x) => x.master_metadata_track_name === "Hyperballad")!;
    const t = cat.tracks.get(e.spotify_track_uri!.split(":")[2]!)!;
    expect(t.name).toBe("Hyperballad");
    expect(cat.artists.get(t.artistIds[0]!)?.name).toBe("Björk");
    const withVariants = catalogueFromExtendedHistory(entries, { variants: true });
    expect(withVariants.tracks.size).toBe(6 * 4);
  });
});
