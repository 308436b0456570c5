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
