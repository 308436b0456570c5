import { createHash, randomBytes } from "node:crypto";
import type { SpotifySimulator } from "../spotify-sim";
import { SESSION_COOKIE } from "../../src/lib/auth/sessions";
import { OAUTH_COOKIE } from "../../src/lib/auth/sign-in";
import { APP_URL, call, type RouteModule } from "./routes";

/** The environment that points Liner at a simulator. */
export function simulatorEnv(sim: SpotifySimulator): Record<string, string> {
  return {
    SPOTIFY_CLIENT_ID: sim.clientId,
    SPOTIFY_CLIENT_SECRET: sim.clientSecret,
    SPOTIFY_ACCOUNTS_BASE_URL: sim.accountsBaseUrl,
    SPOTIFY_API_BASE_URL: sim.apiBaseUrl,
  };
}

function cookieValue(setCookie: string | null, name: string): string | undefined {
  const m = setCookie && new RegExp(`${name}=([^;]*)`).exec(setCookie);
  return m ? m[1] : undefined;
}

/**
 * "Sign in with Spotify" through Liner's own routes and the simulator, as a browser follows the
 * redirects. Returns where the callback sent the person and the session cookie it set, if any.
 */
export async function signInThroughRoutes(routes: RouteModule[], sim: SpotifySimulator, spotifyUser: string, opts: { tamperState?: boolean } = {}) {
  const handler = (p: string) => routes.find((r) => r.pattern === p)!.handlers.GET!;
  const login = await call(handler("/api/auth/login"), "GET", "/api/auth/login");
  const oauth = cookieValue(login.headers.get("set-cookie"), OAUTH_COOKIE);
  const authorizeUrl = new URL(login.headers.get("location")!);
  authorizeUrl.searchParams.set("sim_user", spotifyUser);
  const approved = await fetch(authorizeUrl, { redirect: "manual" });
  const back = new URL(approved.headers.get("location") ?? `${APP_URL}/api/auth/callback?error=no_redirect`);
  if (opts.tamperState) back.searchParams.set("state", "forged");
  const callback = await call(handler("/api/auth/callback"), "GET", `${back.pathname}${back.search}`, { cookie: oauth ? `${OAUTH_COOKIE}=${oauth}` : undefined });
  const session = cookieValue(callback.headers.get("set-cookie"), SESSION_COOKIE);
  return {
    authorizeUrl,
    location: callback.headers.get("location"),
    cookie: session ? `${SESSION_COOKIE}=${session}` : undefined,
  };
}

/** A real token pair for `spotifyUser` from the simulator, by the PKCE flow Liner itself uses. */
export async function simulatorTokens(sim: SpotifySimulator, spotifyUser: string) {
  const verifier = randomBytes(32).toString("base64url");
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  const redirect = "http://127.0.0.1:3000/api/auth/callback";
  const u = new URL(`${sim.accountsBaseUrl}/authorize`);
  for (const [k, v] of Object.entries({ client_id: sim.clientId, response_type: "code", redirect_uri: redirect, code_challenge_method: "S256", code_challenge: challenge, sim_user: spotifyUser })) u.searchParams.set(k, v);
  const res = await fetch(u, { redirect: "manual" });
  const code = new URL(res.headers.get("location")!).searchParams.get("code")!;
  const t = await fetch(`${sim.accountsBaseUrl}/api/token`, {
    method: "POST",
    body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: redirect, client_id: sim.clientId, code_verifier: verifier }),
  });
  const body = (await t.json()) as { access_token: string; refresh_token: string; expires_in: number; scope: string };
  if (!t.ok) throw new Error(`the simulator refused the token exchange: ${JSON.stringify(body)}`);
  return { accessToken: body.access_token, refreshToken: body.refresh_token, expiresAt: new Date(Date.now() + body.expires_in * 1000), scope: body.scope };
}
