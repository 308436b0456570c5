import { z } from "zod";
import { readCookie, sessionCookie } from "@/lib/auth/sessions";
import { clearedOauthCookie, completeSignIn, OAUTH_COOKIE, parseOauthCookie, secureCookies, SpotifyBusyError } from "@/lib/auth/sign-in";
import { tokenKey } from "@/lib/crypto/token-crypto";
import { appDb } from "@/lib/db/app-db";
import { AccountsError } from "@/lib/spotify/accounts";
import { createLog } from "@/lib/util/log";
import { parseQuery, q } from "@/lib/web/query";

export const dynamic = "force-dynamic";
const log = createLog("auth");
const query = z.object({ code: q.text(2048).optional(), state: q.text(256).optional(), error: q.text(256).optional() });

/** GET /api/auth/callback — Spotify sends the person back here with a code (or an error). */
export async function GET(request: Request): Promise<Response> {
  const parsed = parseQuery(request.url, query);
  if (!parsed.ok) return parsed.response;
  const params = parsed.data;
  const { db, config } = appDb();
  const secure = secureCookies(config);
  const back = (target: string, cookies: string[]) => {
    const headers = new Headers({ location: `${config.appUrl}${target}`, "cache-control": "no-store" });
    for (const c of cookies) headers.append("set-cookie", c);
    return new Response(null, { status: 302, headers });
  };
  const fail = (code: string) => back(`/?error=${encodeURIComponent(code)}`, [clearedOauthCookie(secure)]);

  if (params.error) return fail(params.error === "access_denied" ? "access_denied" : "spotify_error");
  const expected = parseOauthCookie(readCookie(request.headers.get("cookie"), OAUTH_COOKIE));
  const { code } = params;
  if (!expected || !code || params.state !== expected.state) return fail("state_mismatch");
  try {
    const { session } = await completeSignIn(db, config, tokenKey(config), code, expected.codeVerifier);
    return back("/dashboard", [clearedOauthCookie(secure), sessionCookie(session.token, session.expiresAt, secure)]);
  } catch (err) {
    log.warn(`sign-in failed: ${(err as Error).message}`);
    if (err instanceof SpotifyBusyError) {
      return back(`/?error=spotify_busy&retry_at=${encodeURIComponent(err.retryAt.toISOString())}`, [clearedOauthCookie(secure)]);
    }
    return fail(err instanceof AccountsError ? err.code : "sign_in_failed");
  }
}
