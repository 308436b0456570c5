import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { AccountsState, defaultAccounts, redirectUriProblem, type AccountsOptions, type SimClient, type SimUser } from "./accounts";
import { Catalogue, parseSearchQuery, type SimTrack } from "./catalogue";
import { SimClock } from "./clock";
import { Faults, noFaults, type FaultKind, type FaultOptions } from "./faults";
import { generateCatalogue } from "./generate-catalogue";
import { defaultLimits, Limits, type LimitOptions } from "./limits";
import { ObjectWriter, type Profile } from "./objects";
import { hash32, isBase62Id } from "./random";

export interface SimulatorOptions {
  port?: number;
  host?: string;
  catalogue?: Catalogue;
  /** The default app; more with `clients`. */
  clientId?: string;
  clientSecret?: string;
  redirectUris?: string[];
  profile?: Profile;
  clients?: SimClient[];
  users?: SimUser[];
  limits?: Partial<LimitOptions>;
  accounts?: Partial<AccountsOptions>;
  faults?: Partial<FaultOptions>;
  /** 86,400 makes a simulated day last one second; windows and token lifetimes follow. */
  timeScale?: number;
  /** Request log entries kept (oldest dropped first). */
  requestLogLimit?: number;
}

export interface LoggedRequest {
  at: number;
  method: string;
  path: string;
  endpoint: string;
  status: number;
  clientId: string | null;
  userId: string | null;
  reason?: string;
  fault?: FaultKind;
}

export interface SimulatorStats {
  /** Every /v1 call, whatever it answered. */
  calls: number;
  byEndpoint: Record<string, Record<string, number>>;
  rateLimited: { rate: number; quota: number };
  /** The most calls seen in any rolling rate window, per client id. */
  maxCallsInWindow: Record<string, number>;
  tokenRequests: Record<string, number>;
  faults: Record<string, number>;
}

export interface SpotifySimulator {
  url: string;
  accountsBaseUrl: string;
  apiBaseUrl: string;
  clientId: string;
  clientSecret: string;
  catalogue: Catalogue;
  clock: SimClock;
  stats(): SimulatorStats;
  requestLog(): LoggedRequest[];
  resetStats(): void;
  /** Forgets the calls both limits count (a fresh window and day). */
  resetLimits(): void;
  setDefaultUser(id: string): void;
  setProfile(profile: Profile, clientId?: string): void;
  setUser(user: SimUser): void;
  revokeUser(userId: string): void;
  expireAccessTokens(): void;
  setFaults(options: Partial<FaultOptions>): void;
  queueFaults(kinds: (FaultKind | null)[]): void;
  setRateLimit(options: Partial<LimitOptions>): void;
  setAccountsOptions(options: Partial<AccountsOptions>): void;
  /** Answers /authorize with access_denied until set back to false. */
  setDenyAuthorization(deny: boolean): void;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly reason?: string,
  ) {
    super(message);
  }
}

const BATCH_MAX: Record<string, number> = { tracks: 50, albums: 20, artists: 50 };

/** Starts the simulator on 127.0.0.1 (a free port unless `port` is given). */
export async function startSpotifySimulator(opts: SimulatorOptions = {}): Promise<SpotifySimulator> {
  const clock = new SimClock(opts.timeScale ?? 1);
  const catalogue = opts.catalogue ?? generateCatalogue({ seed: 1, artists: 40 });
  const accounts = new AccountsState(clock, { ...defaultAccounts, ...opts.accounts });
  const limits = new Limits(clock, { ...defaultLimits, ...opts.limits });
  const faults = new Faults({ ...noFaults, ...opts.faults });
  const mainClient: SimClient = {
    clientId: opts.clientId ?? "sim-client-id",
    clientSecret: opts.clientSecret ?? "sim-client-secret",
    redirectUris: opts.redirectUris ?? [],
    profile: opts.profile ?? "development",
  };
  for (const c of [mainClient, ...(opts.clients ?? [])]) accounts.clients.set(c.clientId, { ...c });
  for (const u of opts.users ?? []) accounts.users.set(u.id, u);
  let denyAuthorization = false;

  const logLimit = opts.requestLogLimit ?? 100_000;
  let log: LoggedRequest[] = [];
  let stats = emptyStats();
  let baseUrl = "";

  const writers = new Map<Profile, ObjectWriter>();
  const writer = (profile: Profile) => {
    let w = writers.get(profile);
    if (!w) writers.set(profile, (w = new ObjectWriter(catalogue, baseUrl, profile)));
    return w;
  };

  function note(entry: LoggedRequest) {
    log.push(entry);
    if (log.length > logLimit) log = log.slice(log.length - logLimit);
    if (entry.path.startsWith("/v1/")) {
      stats.calls++;
      const byStatus = (stats.byEndpoint[entry.endpoint] ??= {});
      byStatus[entry.status] = (byStatus[entry.status] ?? 0) + 1;
      if (entry.status === 429) stats.rateLimited[entry.reason === "QUOTA_EXCEEDED" ? "quota" : "rate"]++;
      if (entry.fault) stats.faults[entry.fault] = (stats.faults[entry.fault] ?? 0) + 1;
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { status: 500, message: `simulator: ${(err as Error).message}` } });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", baseUrl);
    const path = url.pathname;
    if (req.method === "GET" && path === "/authorize") return authorize(url, res);
    if (req.method === "POST" && path === "/api/token") return tokenEndpoint(req, res);
    if (req.method === "GET" && path.startsWith("/image/")) return image(path, res);
    if (path.startsWith("/v1/")) return webApi(req, res, url);
    if (path.startsWith("/_sim/")) return control(req, res, url);
    sendJson(res, 404, { error: { status: 404, message: "Service not found" } });
  }

  function authorize(url: URL, res: ServerResponse) {
    const q = url.searchParams;
    const client = accounts.clients.get(q.get("client_id") ?? "");
    const redirectUri = q.get("redirect_uri") ?? "";
    const entry = (status: number, reason?: string): LoggedRequest => ({ at: clock.now(), method: "GET", path: "/authorize", endpoint: "authorize", status, clientId: client?.clientId ?? null, userId: null, reason });
    // Like Spotify, a bad client or redirect URI is shown to the person, never redirected to.
    if (!client) {
      note(entry(400, "INVALID_CLIENT: Invalid client"));
      return sendText(res, 400, "INVALID_CLIENT: Invalid client");
    }
    const problem = redirectUriProblem(client, redirectUri);
    if (problem) {
      note(entry(400, problem));
      return sendText(res, 400, problem);
    }
    const back = new URL(redirectUri);
    const state = q.get("state");
    if (state !== null) back.searchParams.set("state", state);
    const fail = (error: string) => {
      back.searchParams.set("error", error);
      note(entry(302, error));
      res.writeHead(302, { location: back.toString() }).end();
    };
    if (q.get("response_type") !== "code") return fail("unsupported_response_type");
    const challenge = q.get("code_challenge");
    const method = q.get("code_challenge_method");
    if (challenge !== null && method !== "S256") return fail("invalid_request");
    if (challenge !== null && !/^[A-Za-z0-9_-]{43,128}$/.test(challenge)) return fail("invalid_request");
    if (denyAuthorization || q.get("sim_deny") === "1") return fail("access_denied");
    const userId = q.get("sim_user") ?? accounts.defaultUser;
    const code = accounts.issueCode(client, userId, redirectUri, q.get("scope") ?? "", challenge);
    back.searchParams.set("code", code);
    note({ ...entry(302), userId });
    res.writeHead(302, { location: back.toString() }).end();
  }

  async function tokenEndpoint(req: IncomingMessage, res: ServerResponse) {
    const body = await readBody(req);
    const form = new URLSearchParams(body);
    let basic: { id: string; secret: string } | null = null;
    const auth = req.headers.authorization;
    if (auth?.startsWith("Basic ")) {
      const decoded = Buffer.from(auth.slice(6), "base64").toString();
      const i = decoded.indexOf(":");
      basic = { id: decodeURIComponent(decoded.slice(0, i)), secret: decodeURIComponent(decoded.slice(i + 1)) };
    }
    const answer = accounts.token(form, basic);
    const grantType = form.get("grant_type") ?? "none";
    stats.tokenRequests[`${grantType}:${answer.status}`] = (stats.tokenRequests[`${grantType}:${answer.status}`] ?? 0) + 1;
    note({ at: clock.now(), method: "POST", path: "/api/token", endpoint: `token:${grantType}`, status: answer.status, clientId: basic?.id ?? form.get("client_id"), userId: null, reason: answer.status === 200 ? undefined : String(answer.body.error_description) });
    sendJson(res, answer.status, answer.body, { "cache-control": "no-store" });
  }

  function image(path: string, res: ServerResponse) {
    const [, , id = "", size = "300"] = path.split("/");
    const hue = hash32(id) % 360;
    const px = Number(size) || 300;
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${px}" height="${px}" viewBox="0 0 10 10"><rect width="10" height="10" fill="hsl(${hue} 55% 45%)"/><circle cx="5" cy="5" r="3" fill="hsl(${(hue + 180) % 360} 60% 70%)"/></svg>`;
    res.writeHead(200, { "content-type": "image/svg+xml", "cache-control": "public, max-age=86400" }).end(svg);
  }

  async function webApi(req: IncomingMessage, res: ServerResponse, url: URL) {
    const endpoint = endpointName(url.pathname);
    const bearer = req.headers.authorization?.startsWith("Bearer ") ? req.headers.authorization.slice(7) : null;
    const access = accounts.checkAccess(bearer);
    // An expired token still names its app: that call counts against the app's limits too.
    const clientId = bearer ? (accounts.accessTokens.get(bearer)?.clientId ?? null) : null;
    const entry: LoggedRequest = { at: clock.now(), method: req.method ?? "GET", path: url.pathname, endpoint, status: 0, clientId, userId: "error" in access ? null : access.userId };
    const finish = (status: number, body: unknown, headers: Record<string, string> = {}, fault?: FaultKind) => {
      entry.status = status;
      if (fault) entry.fault = fault;
      note(entry);
      return send(res, status, body, headers, fault);
    };
    if (faults.options.latencyMs > 0) await sleep(faults.options.latencyMs);
    // Every call counts against the app's limits, whatever it goes on to answer.
    const verdict = clientId ? limits.record(clientId) : ({ ok: true } as const);
    if ("error" in access) return finish(401, { error: { status: 401, message: access.error } });
    if (!verdict.ok) {
      const retryAfter = String(clock.toRealSeconds(verdict.retryAfterMs));
      if (verdict.reason === "quota") {
        entry.reason = "QUOTA_EXCEEDED";
        return finish(429, { error: { status: 429, message: "API rate limit exceeded", reason: "QUOTA_EXCEEDED" } }, { "retry-after": retryAfter });
      }
      entry.reason = "RATE_LIMIT";
      return finish(429, { error: { status: 429, message: "API rate limit exceeded" } }, { "retry-after": retryAfter });
    }
    const fault = faults.next();
    if (fault === "reset") {
      entry.status = 0;
      entry.fault = fault;
      note(entry);
      req.socket.destroy();
      return;
    }
    if (fault === "rate_limit") {
      entry.reason = "RATE_LIMIT";
      return finish(429, { error: { status: 429, message: "API rate limit exceeded" } }, { "retry-after": "1" }, fault);
    }
    if (fault === "server_error") {
      const status = [500, 502, 503][hash32(String(stats.calls)) % 3]!;
      return finish(status, { error: { status, message: "Server error" } }, {}, fault);
    }
    if (fault === "slow") await sleep(faults.options.slowMs);
    try {
      const client = accounts.clients.get(access.clientId)!;
      const body = route(url, client.profile, access.userId);
      return finish(200, body, {}, fault === "slow" ? undefined : (fault ?? undefined));
    } catch (err) {
      if (err instanceof HttpError) return finish(err.status, { error: { status: err.status, message: err.message } });
      throw err;
    }
  }

  function route(url: URL, profile: Profile, userId: string | null): unknown {
    const w = writer(profile);
    const parts = url.pathname.split("/").filter(Boolean).slice(1);
    const q = url.searchParams;
    const [kind, id, sub] = parts;
    if (kind === "me" && parts.length === 1) {
      if (!userId) throw new HttpError(401, "Valid user authentication required");
      const u = accounts.user(userId);
      return {
        ...(u.accountId ? { account_id: u.accountId } : {}),
        country: u.country,
        display_name: u.displayName,
        email: u.email,
        explicit_content: { filter_enabled: false, filter_locked: false },
        external_urls: { spotify: `https://open.spotify.com/user/${u.id}` },
        ...(profile === "extended" ? { followers: { href: null, total: 0 } } : {}),
        href: `${baseUrl}/v1/users/${u.id}`,
        id: u.id,
        images: [],
        product: u.product,
        type: "user",
        uri: `spotify:user:${u.id}`,
      };
    }
    if (kind === "search" && parts.length === 1) return search(w, q);
    if ((kind === "tracks" || kind === "albums" || kind === "artists") && parts.length === 1) {
      if (profile === "development") throw new HttpError(403, "Forbidden");
      const raw = q.get("ids");
      if (!raw) throw new HttpError(400, "Missing parameter ids");
      const ids = raw.split(",");
      if (ids.length > BATCH_MAX[kind]!) throw new HttpError(400, "Too many ids requested");
      for (const x of ids) if (!isBase62Id(x)) throw new HttpError(400, "Invalid base62 id");
      if (kind === "tracks") return { tracks: ids.map((x) => (catalogue.tracks.has(x) ? w.track(catalogue.tracks.get(x)!) : null)) };
      if (kind === "albums") return { albums: ids.map((x) => (catalogue.albums.has(x) ? w.album(catalogue.albums.get(x)!) : null)) };
      return { artists: ids.map((x) => (catalogue.artists.has(x) ? w.artist(catalogue.artists.get(x)!) : null)) };
    }
    if (id !== undefined && (kind === "tracks" || kind === "albums" || kind === "artists")) {
      if (!isBase62Id(id)) throw new HttpError(400, "Invalid base62 id");
      if (kind === "tracks" && parts.length === 2) return w.track(found(catalogue.tracks.get(id)));
      if (kind === "artists" && parts.length === 2) return w.artist(found(catalogue.artists.get(id)));
      if (kind === "albums" && parts.length === 2) return w.album(found(catalogue.albums.get(id)));
      if (kind === "albums" && sub === "tracks" && parts.length === 3) {
        const album = found(catalogue.albums.get(id));
        return w.albumTracksPage(album, intParam(q, "limit", 20, 1, 50), intParam(q, "offset", 0, 0, 10_000));
      }
    }
    throw new HttpError(404, "Service not found");
  }

  function search(w: ObjectWriter, q: URLSearchParams) {
    const text = q.get("q");
    if (!text) throw new HttpError(400, "No search query");
    const type = q.get("type");
    if (!type) throw new HttpError(400, "Missing parameter type");
    if (type.split(",").some((t) => t !== "track")) throw new HttpError(400, "simulator: only type=track is modelled");
    const limit = intParam(q, "limit", 5, 0, 10);
    const offset = intParam(q, "offset", 0, 0, 1000);
    const parsed = parseSearchQuery(text);
    const hits: SimTrack[] = parsed ? catalogue.search(parsed) : [];
    const href = new URL(`${baseUrl}/v1/search`);
    href.searchParams.set("query", text);
    href.searchParams.set("type", "track");
    return { tracks: w.paging(href.toString(), hits.slice(offset, offset + limit).map((t) => w.track(t)), hits.length, limit, offset) };
  }

  async function control(req: IncomingMessage, res: ServerResponse, url: URL) {
    // For a simulator run from the command line: tests in-process use the methods instead.
    const q = url.searchParams;
    if (req.method === "GET" && url.pathname === "/_sim/stats") return sendJson(res, 200, stats);
    if (req.method === "POST") {
      await readBody(req);
      if (url.pathname === "/_sim/revoke" && q.get("user")) return (accounts.revokeUser(q.get("user")!), sendJson(res, 200, { ok: true }));
      if (url.pathname === "/_sim/expire-tokens") return (accounts.expireAccessTokens(), sendJson(res, 200, { ok: true }));
      if (url.pathname === "/_sim/default-user" && q.get("user")) return ((accounts.defaultUser = q.get("user")!), sendJson(res, 200, { ok: true }));
    }
    sendJson(res, 404, { error: { status: 404, message: "no such control" } });
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;

  return {
    url: baseUrl,
    accountsBaseUrl: baseUrl,
    apiBaseUrl: `${baseUrl}/v1`,
    clientId: mainClient.clientId,
    clientSecret: mainClient.clientSecret,
    catalogue,
    clock,
    stats: () => ({ ...structuredClone(stats), maxCallsInWindow: Object.fromEntries(limits.maxInWindow) }),
    requestLog: () => [...log],
    resetStats: () => {
      stats = emptyStats();
      log = [];
      limits.maxInWindow.clear();
    },
    resetLimits: () => limits.reset(),
    setDefaultUser: (id) => {
      accounts.defaultUser = id;
    },
    setProfile: (profile, clientId = mainClient.clientId) => {
      const c = accounts.clients.get(clientId);
      if (!c) throw new Error(`unknown client ${clientId}`);
      c.profile = profile;
    },
    setUser: (user) => {
      accounts.users.set(user.id, user);
    },
    revokeUser: (userId) => accounts.revokeUser(userId),
    expireAccessTokens: () => accounts.expireAccessTokens(),
    setFaults: (o) => faults.set(o),
    queueFaults: (kinds) => faults.queue(kinds),
    setRateLimit: (o) => {
      limits.options = { ...limits.options, ...o };
    },
    setAccountsOptions: (o) => {
      accounts.options = { ...accounts.options, ...o };
    },
    setDenyAuthorization: (deny) => {
      denyAuthorization = deny;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function emptyStats(): SimulatorStats {
  return { calls: 0, byEndpoint: {}, rateLimited: { rate: 0, quota: 0 }, maxCallsInWindow: {}, tokenRequests: {}, faults: {} };
}

/** Groups paths the way a test asks about them: "tracks/{id}", "albums/{id}/tracks", "search", … */
export function endpointName(path: string): string {
  const parts = path.split("/").filter(Boolean).slice(1);
  return parts.map((p, i) => (i === 1 ? "{id}" : p)).join("/");
}

function found<T>(x: T | undefined): T {
  if (x === undefined) throw new HttpError(404, "Resource not found");
  return x;
}

function intParam(q: URLSearchParams, name: string, def: number, min: number, max: number): number {
  const raw = q.get(name);
  if (raw === null) return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new HttpError(400, `Invalid ${name}`);
  return n;
}

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString()));
    req.on("error", reject);
  });
}

function sendText(res: ServerResponse, status: number, text: string) {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8" }).end(text);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text), ...headers }).end(text);
}

/** Answers, or answers wrongly when a fault says so: half a body, or one that is not JSON. */
function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>, fault?: FaultKind) {
  if (fault === "truncated") {
    const text = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
    res.write(text.slice(0, Math.max(1, Math.floor(text.length / 2))));
    res.end();
    return;
  }
  if (fault === "malformed") {
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers }).end('{"tracks": {"items": [<html>upstream error</html>');
    return;
  }
  sendJson(res, status, body, headers);
}
