import type { Kysely } from "kysely";
import type { Config } from "../config/env";
import type { Database, User } from "../db/schema";
import { claimOperator } from "./admins";
import { enqueueEnrichIfPending } from "../enrichment/triggers";
import { exchangeCode } from "../spotify/accounts";
import { saveAuthorization } from "../spotify/connection";
import { fetchProfile, type SpotifyProfile } from "../spotify/me";
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

/** Spotify answered 429 and asked for a wait longer than a person should stare at a redirect. */
export class SpotifyBusyError extends Error {
  constructor(readonly retryAt: Date) {
    super(`Spotify is rate-limiting this app until ${retryAt.toISOString()}.`);
  }
}

/** How long the callback may wait out 429s on /v1/me before telling the person to come back. */
export const PROFILE_MAX_WAIT_MS = 10_000;

/** Retry-After in milliseconds: seconds or an HTTP date; missing or unreadable counts as 5 s. */
export function retryAfterMs(header: string | null | undefined, now = Date.now()): number {
  if (header && /^\d+(\.\d+)?$/.test(header.trim())) return Math.ceil(Number(header) * 1000);
  const date = header ? Date.parse(header) : NaN;
  return Number.isFinite(date) ? Math.max(0, date - now) : 5_000;
}

/**
 * `GET /v1/me`, waiting out a rate limit when Spotify asks for a short wait (the whole sign-in
 * waits at most PROFILE_MAX_WAIT_MS); a longer one is a SpotifyBusyError with the time to come back.
 * The code was spent on the tokens already, so this is the only call worth repeating.
 */
export async function profileWithRetry(
  config: Config,
  accessToken: string,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<SpotifyProfile> {
  const deadline = Date.now() + PROFILE_MAX_WAIT_MS;
  for (;;) {
    try {
      return await fetchProfile(config, accessToken);
    } catch (err) {
      const e = err as { status?: number; retryAfter?: string | null };
      if (e.status !== 429) throw err;
      const wait = retryAfterMs(e.retryAfter);
      if (Date.now() + wait > deadline) throw new SpotifyBusyError(new Date(Date.now() + wait));
      await sleep(wait);
    }
  }
}

export function secureCookies(config: Config): boolean {
  return config.SESSION_SECURE_COOKIE === "auto" ? config.appUrl.startsWith("https://") : config.SESSION_SECURE_COOKIE === "true";
}

/**
 * The end of "Sign in with Spotify": code → tokens → who this is → our user, their (re)new(ed)
 * connection and a session; the very first person to sign in is recorded as the operator. Signing in again is also how a person reconnects an expired connection: work they
 * have left is queued for enrichment in the same transaction.
 */
export async function completeSignIn(
  db: Kysely<Database>,
  config: Config,
  key: Buffer,
  code: string,
  codeVerifier: string,
): Promise<{ user: User; session: { token: string; expiresAt: Date } }> {
  const tokens = await exchangeCode(config, code, codeVerifier);
  const profile = await profileWithRetry(config, tokens.accessToken);
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
    // A reconnect resumes at once: work left from before (or uploaded while disconnected) gets a
    // job now, committed with the new connection, instead of waiting for the schedule.
    await enqueueEnrichIfPending(tx, user.id, "resume");
    // The first person ever to sign in becomes the operator (when ADMIN_SPOTIFY_IDS names nobody).
    await claimOperator(tx, user.id);
    const session = await createSession(tx, user.id);
    return { user, session };
  });
}
