import { createHash } from "node:crypto";
import type { SimClock } from "./clock";
import type { Profile } from "./objects";
import { Rng, randomToken } from "./random";

export interface SimClient {
  clientId: string;
  clientSecret: string;
  /** Registered redirect URIs; empty accepts any that Spotify would (https, or http on a loopback IP). */
  redirectUris: string[];
  profile: Profile;
}

export interface SimUser {
  id: string;
  displayName: string;
  email: string;
  country: string;
  product: "premium" | "free";
  /** Sent as `account_id` by /v1/me when set. */
  accountId?: string;
}

export interface AccountsOptions {
  accessTokenSeconds: number;
  /** Refresh tokens die this long after the user authorised (Spotify: six months). */
  refreshTokenSeconds: number;
  /** Refresh without PKCE: the share of answers that carry no new refresh token. */
  omitRefreshTokenRate: number;
  /** PKCE refresh tokens rotate (Spotify's behaviour); off, PKCE grants refresh like the others. */
  rotatePkce: boolean;
  seed: string;
}

export const defaultAccounts: AccountsOptions = {
  accessTokenSeconds: 3600,
  refreshTokenSeconds: 183 * 86_400,
  omitRefreshTokenRate: 0.5,
  rotatePkce: true,
  seed: "accounts",
};

interface Grant {
  clientId: string;
  userId: string;
  scope: string;
  pkce: boolean;
  authorizedAt: number;
  revoked: boolean;
  /** The refresh token that works now; older ones of a rotating grant are remembered as used. */
  refreshToken: string;
}

interface Code {
  clientId: string;
  userId: string;
  redirectUri: string;
  scope: string;
  challenge: string | null;
  expiresAt: number;
}

export interface AccessToken {
  clientId: string;
  userId: string | null;
  grant: Grant | null;
  expiresAt: number;
}

export interface OAuthAnswer {
  status: number;
  body: Record<string, unknown>;
}

const oauthError = (status: number, error: string, description: string): OAuthAnswer => ({
  status,
  body: { error, error_description: description },
});

/** Why Spotify refuses a redirect URI, or null when it accepts it. */
export function redirectUriProblem(client: SimClient, uri: string): string | null {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return "INVALID_CLIENT: Invalid redirect URI";
  }
  if (u.hostname === "localhost") return "INVALID_CLIENT: Insecure redirect URI";
  const loopback = u.hostname === "127.0.0.1" || u.hostname === "[::1]";
  if (u.protocol === "http:" && !loopback) return "INVALID_CLIENT: Insecure redirect URI";
  if (u.protocol !== "http:" && u.protocol !== "https:" && !u.protocol.endsWith(":")) return "INVALID_CLIENT: Invalid redirect URI";
  if (client.redirectUris.length > 0 && !client.redirectUris.includes(uri)) return "INVALID_CLIENT: Invalid redirect URI";
  return null;
}

/** The Accounts service's state: clients, users, codes, grants and tokens. */
export class AccountsState {
  readonly clients = new Map<string, SimClient>();
  readonly users = new Map<string, SimUser>();
  private readonly codes = new Map<string, Code>();
  private readonly grantsByRefresh = new Map<string, Grant>();
  /** Rotated-away refresh tokens: using one again is what "Refresh token revoked" answers. */
  private readonly usedRefresh = new Set<string>();
  readonly accessTokens = new Map<string, AccessToken>();
  private readonly grants: Grant[] = [];
  private readonly rng: Rng;
  defaultUser = "sim-user-1";

  constructor(
    private readonly clock: SimClock,
    public options: AccountsOptions,
  ) {
    this.rng = new Rng(options.seed);
  }

  user(id: string): SimUser {
    let u = this.users.get(id);
    if (!u) {
      u = { id, displayName: `Test User ${id}`, email: `${id}@example.test`, country: "SE", product: "premium" };
      this.users.set(id, u);
    }
    return u;
  }

  /** Approves an authorisation for `userId` and returns the one-time code. */
  issueCode(client: SimClient, userId: string, redirectUri: string, scope: string, challenge: string | null): string {
    this.user(userId);
    const code = randomToken();
    // Ten wall-clock minutes, whatever the time scale: a sign-in is a person's pace, not Spotify's.
    this.codes.set(code, { clientId: client.clientId, userId, redirectUri, scope, challenge, expiresAt: Date.now() + 10 * 60_000 });
    return code;
  }

  private issueAccess(clientId: string, userId: string | null, grant: Grant | null) {
    const token = randomToken();
    this.accessTokens.set(token, { clientId, userId, grant, expiresAt: this.clock.now() + this.options.accessTokenSeconds * 1000 });
    return token;
  }

  /**
   * POST /api/token. `basic` is the client from an Authorization: Basic header, if any.
   */
  token(form: URLSearchParams, basic: { id: string; secret: string } | null): OAuthAnswer {
    const grantType = form.get("grant_type");
    const clientId = basic?.id ?? form.get("client_id") ?? "";
    const secret = basic?.secret ?? form.get("client_secret");
    const client = this.clients.get(clientId);
    if (!client) return oauthError(400, "invalid_client", "Invalid client");
    if (secret !== null && secret !== client.clientSecret) return oauthError(400, "invalid_client", "Invalid client secret");
    const now = this.clock.now();

    if (grantType === "client_credentials") {
      if (secret === null) return oauthError(400, "invalid_client", "Invalid client secret");
      return { status: 200, body: { access_token: this.issueAccess(clientId, null, null), token_type: "Bearer", expires_in: this.options.accessTokenSeconds } };
    }

    if (grantType === "authorization_code") {
      const codeValue = form.get("code") ?? "";
      const code = this.codes.get(codeValue);
      // Codes are single-use: whatever happens next, this one is spent.
      this.codes.delete(codeValue);
      if (!code || code.clientId !== clientId || code.expiresAt < Date.now()) return oauthError(400, "invalid_grant", "Invalid authorization code");
      if (form.get("redirect_uri") !== code.redirectUri) return oauthError(400, "invalid_grant", "Invalid redirect URI");
      const verifier = form.get("code_verifier");
      if (code.challenge) {
        if (!verifier) return oauthError(400, "invalid_request", "code_verifier required");
        const expected = createHash("sha256").update(verifier).digest("base64url");
        if (expected !== code.challenge) return oauthError(400, "invalid_grant", "code_verifier was incorrect");
      } else if (secret === null) {
        return oauthError(400, "invalid_client", "Invalid client secret");
      }
      const grant: Grant = { clientId, userId: code.userId, scope: code.scope, pkce: Boolean(code.challenge), authorizedAt: now, revoked: false, refreshToken: randomToken() };
      this.grants.push(grant);
      this.grantsByRefresh.set(grant.refreshToken, grant);
      return {
        status: 200,
        body: { access_token: this.issueAccess(clientId, code.userId, grant), token_type: "Bearer", scope: code.scope, expires_in: this.options.accessTokenSeconds, refresh_token: grant.refreshToken },
      };
    }

    if (grantType === "refresh_token") {
      const value = form.get("refresh_token") ?? "";
      if (this.usedRefresh.has(value)) return oauthError(400, "invalid_grant", "Refresh token revoked");
      const grant = this.grantsByRefresh.get(value);
      if (!grant || grant.clientId !== clientId) return oauthError(400, "invalid_grant", "Invalid refresh token");
      if (grant.revoked) return oauthError(400, "invalid_grant", "Refresh token revoked");
      if (now >= grant.authorizedAt + this.options.refreshTokenSeconds * 1000) return oauthError(400, "invalid_grant", "Refresh token expired");
      if (!grant.pkce && secret === null) return oauthError(400, "invalid_client", "Invalid client secret");
      const body: Record<string, unknown> = {
        access_token: this.issueAccess(clientId, grant.userId, grant),
        token_type: "Bearer",
        scope: grant.scope,
        expires_in: this.options.accessTokenSeconds,
      };
      if (grant.pkce && this.options.rotatePkce) {
        this.grantsByRefresh.delete(grant.refreshToken);
        this.usedRefresh.add(grant.refreshToken);
        grant.refreshToken = randomToken();
        this.grantsByRefresh.set(grant.refreshToken, grant);
        body.refresh_token = grant.refreshToken;
      } else if (!this.rng.chance(this.options.omitRefreshTokenRate)) {
        body.refresh_token = grant.refreshToken;
      }
      return { status: 200, body };
    }
    return oauthError(400, "unsupported_grant_type", `grant_type must be client_credentials, authorization_code or refresh_token`);
  }

  /** Checks a bearer token; returns the token's record or why it is refused. */
  checkAccess(token: string | null): AccessToken | { error: string } {
    if (!token) return { error: "No token provided" };
    const t = this.accessTokens.get(token);
    if (!t) return { error: "Invalid access token" };
    if (t.grant?.revoked) return { error: "Invalid access token" };
    if (t.expiresAt <= this.clock.now()) return { error: "The access token expired" };
    return t;
  }

  /** The user removed the app from their account: every grant and token of theirs stops working. */
  revokeUser(userId: string) {
    for (const g of this.grants) if (g.userId === userId) g.revoked = true;
  }

  expireAccessTokens() {
    const now = this.clock.now();
    for (const t of this.accessTokens.values()) t.expiresAt = Math.min(t.expiresAt, now);
  }
}
