import type { Kysely } from "kysely";
import type { Config } from "../config/env";
import { decryptToken, encryptToken } from "../crypto/token-crypto";
import type { Database, TokenState } from "../db/schema";
import { AccountsError, refreshTokens, type TokenSet } from "./accounts";

/** Refresh when less than this is left, so a token never expires in the middle of a batch. */
export const REFRESH_MARGIN_MS = 5 * 60 * 1000;
/** …or less than this share of the token's lifetime, when that is shorter (short-lived tokens). */
export const REFRESH_MARGIN_SHARE = 0.1;

/**
 * The margin before expiry at which a token is refreshed: five minutes, or a tenth of its lifetime
 * when that is less — a token living under five minutes would otherwise be refreshed before every
 * call. The lifetime runs from its issue (the last refresh, else the authorisation) to its expiry.
 */
export function refreshMarginMs(row: { expires_at: Date; last_refreshed_at: Date | null; authorized_at: Date }): number {
  const issued = row.last_refreshed_at ?? row.authorized_at;
  const lifetime = row.expires_at.getTime() - issued.getTime();
  return lifetime > 0 ? Math.min(REFRESH_MARGIN_MS, lifetime * REFRESH_MARGIN_SHARE) : REFRESH_MARGIN_MS;
}
/** Spotify refresh tokens die six months after the user authorised. */
export const REFRESH_TOKEN_LIFETIME_MONTHS = 6;
/** From this many days before that, people are asked to reconnect. */
export const RECONNECT_WARNING_DAYS = 14;

export function refreshTokenExpiry(authorizedAt: Date): Date {
  const d = new Date(authorizedAt);
  d.setUTCMonth(d.getUTCMonth() + REFRESH_TOKEN_LIFETIME_MONTHS);
  return d;
}

export class ConnectionUnavailable extends Error {
  constructor(
    readonly state: "none" | "expired" | "revoked",
    message: string,
  ) {
    super(message);
    this.name = "ConnectionUnavailable";
  }
}

export interface ConnectionStatus {
  connected: boolean;
  state: TokenState | "none";
  authorizedAt: string | null;
  /** When the refresh token dies and the person must sign in again. */
  reconnectBy: string | null;
  daysLeft: number | null;
  /** Within the warning window, or already expired/revoked. */
  needsReconnect: boolean;
  reconnectSoon: boolean;
  lastError: string | null;
}

/** Stores the tokens of a fresh authorisation (sign-in or reconnect): the six months start now. */
export async function saveAuthorization(
  db: Kysely<Database>,
  key: Buffer,
  userId: string,
  tokens: TokenSet,
  authorizedAt = new Date(),
): Promise<void> {
  const row = {
    user_id: userId,
    access_token_enc: encryptToken(key, tokens.accessToken),
    refresh_token_enc: tokens.refreshToken ? encryptToken(key, tokens.refreshToken) : null,
    expires_at: tokens.expiresAt,
    scope: tokens.scope,
    authorized_at: authorizedAt,
    state: "valid" as const,
    last_error: null,
    last_refreshed_at: null,
    updated_at: new Date(),
  };
  await db
    .insertInto("spotify_tokens")
    .values(row)
    .onConflict((oc) => oc.column("user_id").doUpdateSet(row))
    .execute();
}

function stateAfterInvalidGrant(authorizedAt: Date, now: Date): "expired" | "revoked" {
  return refreshTokenExpiry(authorizedAt) <= now ? "expired" : "revoked";
}

function unavailable(state: TokenState | "none"): ConnectionUnavailable {
  if (state === "none") return new ConnectionUnavailable("none", "Not connected to Spotify.");
  return new ConnectionUnavailable(
    state === "expired" ? "expired" : "revoked",
    state === "expired"
      ? "The Spotify connection expired (six months after it was authorised): reconnect Spotify."
      : "Spotify no longer accepts this connection (access was revoked): reconnect Spotify.",
  );
}

/**
 * A usable access token for `userId`, refreshed first when under five minutes (or a tenth of its
 * lifetime, when shorter) remain (or when
 * `rejected` — a token the API just answered 401 to — is still the stored one). One refresh at a
 * time per person: the row stays locked while Spotify answers, so two workers never spend the same
 * rotating refresh token. A dead refresh token marks the connection expired or revoked and throws
 * ConnectionUnavailable; nothing else is deleted.
 */
export async function getAccessToken(
  db: Kysely<Database>,
  config: Config,
  key: Buffer,
  userId: string,
  opts: { rejected?: string } = {},
): Promise<string> {
  const fresh = (row: { expires_at: Date; access_token_enc: Buffer; last_refreshed_at: Date | null; authorized_at: Date }) => {
    if (row.expires_at.getTime() - Date.now() <= refreshMarginMs(row)) return null;
    const token = decryptToken(key, row.access_token_enc);
    return token === opts.rejected ? null : token;
  };
  const row = await db.selectFrom("spotify_tokens").selectAll().where("user_id", "=", userId).executeTakeFirst();
  if (!row) throw unavailable("none");
  if (row.state !== "valid") throw unavailable(row.state);
  const cached = fresh(row);
  if (cached) return cached;

  const outcome = await db.transaction().execute(async (tx) => {
    const locked = await tx
      .selectFrom("spotify_tokens")
      .selectAll()
      .where("user_id", "=", userId)
      .forUpdate()
      .executeTakeFirst();
    if (!locked) return { error: unavailable("none") };
    if (locked.state !== "valid") return { error: unavailable(locked.state) };
    const refreshedMeanwhile = fresh(locked);
    if (refreshedMeanwhile) return { token: refreshedMeanwhile };
    if (!locked.refresh_token_enc) {
      await tx.updateTable("spotify_tokens").set({ state: "revoked", last_error: "no refresh token stored", updated_at: new Date() }).where("user_id", "=", userId).execute();
      return { error: unavailable("revoked") };
    }
    try {
      const tokens = await refreshTokens(config, decryptToken(key, locked.refresh_token_enc));
      await tx
        .updateTable("spotify_tokens")
        .set({
          access_token_enc: encryptToken(key, tokens.accessToken),
          // Spotify rotates refresh tokens for PKCE clients; when it sends none, the old one stays valid.
          ...(tokens.refreshToken ? { refresh_token_enc: encryptToken(key, tokens.refreshToken) } : {}),
          expires_at: tokens.expiresAt,
          ...(tokens.scope ? { scope: tokens.scope } : {}),
          last_refreshed_at: new Date(),
          last_error: null,
          updated_at: new Date(),
        })
        .where("user_id", "=", userId)
        .execute();
      return { token: tokens.accessToken };
    } catch (err) {
      if (err instanceof AccountsError && err.code === "invalid_grant") {
        const state = stateAfterInvalidGrant(locked.authorized_at, new Date());
        await tx
          .updateTable("spotify_tokens")
          .set({ state, last_error: err.message, updated_at: new Date() })
          .where("user_id", "=", userId)
          .execute();
        return { error: unavailable(state) };
      }
      await tx
        .updateTable("spotify_tokens")
        .set({ last_error: (err as Error).message, updated_at: new Date() })
        .where("user_id", "=", userId)
        .execute();
      return { error: err as Error };
    }
  });
  if ("error" in outcome) throw outcome.error;
  return outcome.token;
}

export async function connectionStatus(db: Kysely<Database>, userId: string, now = new Date()): Promise<ConnectionStatus> {
  const row = await db
    .selectFrom("spotify_tokens")
    .select(["state", "authorized_at", "last_error"])
    .where("user_id", "=", userId)
    .executeTakeFirst();
  if (!row) {
    return { connected: false, state: "none", authorizedAt: null, reconnectBy: null, daysLeft: null, needsReconnect: true, reconnectSoon: false, lastError: null };
  }
  const reconnectBy = refreshTokenExpiry(row.authorized_at);
  const daysLeft = Math.floor((reconnectBy.getTime() - now.getTime()) / 86_400_000);
  const valid = row.state === "valid" && reconnectBy > now;
  return {
    connected: valid,
    state: valid || row.state !== "valid" ? row.state : "expired",
    authorizedAt: row.authorized_at.toISOString(),
    reconnectBy: reconnectBy.toISOString(),
    daysLeft: Math.max(0, daysLeft),
    needsReconnect: !valid,
    reconnectSoon: valid && daysLeft < RECONNECT_WARNING_DAYS,
    lastError: row.last_error,
  };
}

/** Disconnect: the tokens are deleted at once; enrichment for this person stops with them. */
export async function disconnect(db: Kysely<Database>, userId: string): Promise<void> {
  await db.deleteFrom("spotify_tokens").where("user_id", "=", userId).execute();
}
