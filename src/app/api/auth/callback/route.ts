import { readCookie, sessionCookie } from "@/lib/auth/sessions";
import { clearedOauthCookie, completeSignIn, OAUTH_COOKIE, parseOauthCookie, secureCookies } from "@/lib/auth/sign-in";
import { tokenKey } from "@/lib/crypto/token-crypto";
import { appDb } from "@/lib/db/app-db";
import { AccountsError } from "@/lib/spotify/accounts";
import { createLog } from "@/lib/util/log";

export const dynamic = "force-dynamic";
const log = createLog("auth");

/** GET /api/auth/callback — Spotify sends the person back here with a code (or an error). */
export async function GET(request: Request): Promise<Response> {
  const { db, config } = appDb();
  const secure = secureCookies(config);
  const params = new URL(request.url).searchParams;
  const back = (target: string, cookies: string[]) => {
    const headers = new Headers({ location: `${config.appUrl}${target}`, "cache-control": "no-store" });
    for (const c of cookies) headers.append("set-cookie", c);
    return new Response(null, { status: 302, headers });
  };
  const fail = (code: string) => back(`/?error=${encodeURIComponent(code)}`, [clearedOauthCookie(secure)]);

  if (params.get("error")) return fail(params.get("error") === "access_denied" ? "access_denied" : "spotify_error");
  const expected = parseOauthCookie(readCookie(request.headers.get("cookie"), OAUTH_COOKIE));
  const code = params.get("code");
  if (!expected || !code || params.get("state") !== expected.state) return fail("state_mismatch");
  try {
    const { session } = await completeSignIn(db, config, tokenKey(config), code, expected.codeVerifier);
    return back("/dashboard", [clearedOauthCookie(secure), sessionCookie(session.token, session.expiresAt, secure)]);
  } catch (err) {
    log.warn(`sign-in failed: ${(err as Error).message}`);
    return fail(err instanceof AccountsError ? err.code : "sign_in_failed");
  }
}
