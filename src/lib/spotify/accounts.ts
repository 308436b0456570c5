import {
  ArcticFetchError,
  CodeChallengeMethod,
  generateCodeVerifier,
  generateState,
  OAuth2Client,
  OAuth2RequestError,
  type OAuth2Tokens,
} from "arctic";
import type { Config } from "../config/env";

/**
 * Spotify's Accounts service (authorization code + PKCE, refresh), through Arctic's generic
 * client so that the base URL can point at the simulator.
 */

// Liner needs only the user's id from /v1/me, which no scope guards; asking for more would be asking
// people to grant what we never use.
export const SCOPES: string[] = [];

export interface TokenSet {
  accessToken: string;
  /** Null when Spotify did not send a new one (keep the old one). */
  refreshToken: string | null;
  expiresAt: Date;
  scope: string;
}

export class AccountsError extends Error {
  constructor(
    message: string,
    /** "invalid_grant" when the refresh token is dead (revoked, or six months old). */
    readonly code: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = "AccountsError";
  }
}

export function redirectUri(config: Config): string {
  return `${config.appUrl}/api/auth/callback`;
}

function client(config: Config): OAuth2Client {
  if (!config.SPOTIFY_CLIENT_ID || !config.SPOTIFY_CLIENT_SECRET) {
    throw new AccountsError(
      "Spotify is not configured: set SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET (see `liner doctor`).",
      "not_configured",
      false,
    );
  }
  return new OAuth2Client(config.SPOTIFY_CLIENT_ID, config.SPOTIFY_CLIENT_SECRET, redirectUri(config));
}

export function startAuthorization(config: Config): { url: URL; state: string; codeVerifier: string } {
  const state = generateState();
  const codeVerifier = generateCodeVerifier();
  const url = client(config).createAuthorizationURLWithPKCE(
    `${config.SPOTIFY_ACCOUNTS_BASE_URL}/authorize`,
    state,
    CodeChallengeMethod.S256,
    codeVerifier,
    SCOPES,
  );
  return { url, state, codeVerifier };
}

function toTokenSet(tokens: OAuth2Tokens): TokenSet {
  const data = tokens.data as Record<string, unknown>;
  return {
    accessToken: tokens.accessToken(),
    refreshToken: tokens.hasRefreshToken() ? tokens.refreshToken() : null,
    expiresAt: tokens.accessTokenExpiresAt(),
    scope: typeof data.scope === "string" ? data.scope : "",
  };
}

function translate(err: unknown, what: string): AccountsError {
  if (err instanceof AccountsError) return err;
  if (err instanceof OAuth2RequestError) {
    const detail = err.description ? `${err.code}: ${err.description}` : err.code;
    return new AccountsError(`Spotify refused the ${what} (${detail}).`, err.code, false);
  }
  if (err instanceof ArcticFetchError) {
    return new AccountsError(`Could not reach Spotify's accounts service for the ${what}.`, "network", true);
  }
  return new AccountsError(`Spotify answered the ${what} unexpectedly (${(err as Error).message}).`, "unexpected", true);
}

export async function exchangeCode(config: Config, code: string, codeVerifier: string): Promise<TokenSet> {
  try {
    return toTokenSet(
      await client(config).validateAuthorizationCode(`${config.SPOTIFY_ACCOUNTS_BASE_URL}/api/token`, code, codeVerifier),
    );
  } catch (err) {
    throw translate(err, "sign-in");
  }
}

export async function refreshTokens(config: Config, refreshToken: string): Promise<TokenSet> {
  try {
    return toTokenSet(
      await client(config).refreshAccessToken(`${config.SPOTIFY_ACCOUNTS_BASE_URL}/api/token`, refreshToken, []),
    );
  } catch (err) {
    throw translate(err, "token refresh");
  }
}
