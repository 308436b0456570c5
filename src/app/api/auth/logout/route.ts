import { isSameOrigin, jsonError } from "@/lib/auth/guard";
import { clearedSessionCookie, deleteSession, readCookie, SESSION_COOKIE } from "@/lib/auth/sessions";
import { secureCookies } from "@/lib/auth/sign-in";
import { appDb } from "@/lib/db/app-db";

/** POST /api/auth/logout — ends this session (idempotent: no session is fine). */
export async function POST(request: Request): Promise<Response> {
  const { db, config } = appDb();
  if (!isSameOrigin(request, config.appUrl)) return jsonError(403, "cross_site", "This request came from another site and was refused.");
  await deleteSession(db, readCookie(request.headers.get("cookie"), SESSION_COOKIE));
  return Response.json({ signedOut: true }, { headers: { "set-cookie": clearedSessionCookie(secureCookies(config)) } });
}
