import type { User } from "../db/schema";
import { appDb } from "../db/app-db";
import { readCookie, SESSION_COOKIE, userForSession } from "./sessions";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function jsonError(status: number, error: string, message: string): Response {
  return Response.json({ error, message }, { status, headers: { "cache-control": "no-store" } });
}

/**
 * State-changing requests must come from our own pages. Browsers send Origin on every cross-site
 * POST/PUT/DELETE; a request without Origin (curl, a script with the cookie) is not a CSRF vector.
 */
export function isSameOrigin(request: Request, appUrl: string): boolean {
  if (SAFE_METHODS.has(request.method)) return true;
  const origin = request.headers.get("origin");
  if (origin === null) return request.headers.get("sec-fetch-site") !== "cross-site";
  const allowed = new Set([new URL(appUrl).origin, new URL(request.url).origin]);
  const host = request.headers.get("host");
  if (host) allowed.add(`${new URL(request.url).protocol}//${host}`);
  return allowed.has(origin);
}

export async function currentUser(request: Request): Promise<User | null> {
  return userForSession(appDb().db, readCookie(request.headers.get("cookie"), SESSION_COOKIE));
}

/**
 * Wraps a route handler: refuses cross-site state changes (403) and requests without a session
 * (401), then calls the handler with the signed-in user. Every per-person route goes through here.
 */
export function userRoute<Ctx>(
  handler: (request: Request, user: User, ctx: Ctx) => Promise<Response>,
): (request: Request, ctx: Ctx) => Promise<Response> {
  return async (request, ctx) => {
    if (!isSameOrigin(request, appDb().config.appUrl)) {
      return jsonError(403, "cross_site", "This request came from another site and was refused.");
    }
    const user = await currentUser(request);
    if (!user) return jsonError(401, "unauthenticated", "Sign in with Spotify first.");
    return handler(request, user, ctx);
  };
}
