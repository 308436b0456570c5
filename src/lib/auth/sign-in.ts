import type { Kysely } from "kysely";
import type { Config } from "../config/env";
import type { Database, User } from "../db/schema";
import { exchangeCode } from "../spotify/accounts";
import { saveAuthorization } from "../spotify/connection";
import { fetchProfile } from "../spotify/me";
import { createSession } from "./sessions";

export const OAUTH_COOKIE = "liner_oauth";

/** The short-lived cookie that carries state and PKCE verifier from /login to /callback. */
export function oauthCookie(state: string, codeVerifier: string, secure: boolean): string {
  return [`${OAUTH_COOKIE}=${state}.${codeVerifier}`, "Path=/api/auth", "HttpOnly", "SameSite=Lax", "Max-Age=600", ...(secure ? ["Secure"] : [])].join("; ");
}

export function clearedOauthCookie(secure: boolean): string {
  return [`${OAUTH_COOKIE}=`, "Path=/api/auth", "HttpOnly", "SameSite=Lax", "Max-Age=0", ...(secure ? ["Secure"] : [])].join("; ");
}

export function parseOauthCookie(value: string | undefined): { state: string; codeVerifier: string } | null {
  if (!value) return null;
  const dot = value.indexOf(".");
  if (dot <= 0) return null;
  return { state: value.slice(0, dot), codeVerifier: value.slice(dot + 1) };
}

export function secureCookies(config: Config): boolean {
  return config.SESSION_SECURE_COOKIE === "auto" ? config.appUrl.startsWith("https://") : config.SESSION_SECURE_COOKIE === "true";
}

/**
 * The end of "Sign in with Spotify": code → tokens → who this is → our user, their (re)new(ed)
 * connection and a session. Signing in again is also how a person reconnects an expired connection.
 */
export async function completeSignIn(
  db: Kysely<Database>,
  config: Config,
  key: Buffer,
  code: string,
  codeVerifier: string,
): Promise<{ user: User; session: { token: string; expiresAt: Date } }> {
  const tokens = await exchangeCode(config, code, codeVerifier);
  const profile = await fetchProfile(config, tokens.accessToken);
  return db.transaction().execute(async (tx) => {
    const user = await tx
      .insertInto("users")
      .values({ spotify_id: profile.spotifyId, display_name: profile.displayName, email: profile.email, country: profile.country })
      .onConflict((oc) =>
        oc.column("spotify_id").doUpdateSet({
          display_name: profile.displayName,
          email: profile.email,
          country: profile.country,
          updated_at: new Date(),
        }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    await saveAuthorization(tx, key, user.id, tokens);
    const session = await createSession(tx, user.id);
    return { user, session };
  });
}
