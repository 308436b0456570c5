/**
 * The security headers of every answer, and the Content-Security-Policy of every page.
 *
 * Scripts: only Next.js's own, which carry this request's nonce ('strict-dynamic' lets them load
 * their chunks) — no 'unsafe-inline', no 'unsafe-eval' outside `next dev`. Styles: our stylesheet
 * and Next's nonced <style> elements; style *attributes* (a progress bar's width) stay allowed,
 * they cannot run code. Images: ours, data: URLs, and cover art from any https host (Spotify's
 * CDNs) or from the Web API's own origin (the simulator serves covers over http).
 */
export interface SecurityHeaderOptions {
  /** The public address: HSTS only when it is https. */
  appUrl: string;
  /** SPOTIFY_API_BASE_URL: its origin may serve cover art. */
  spotifyApiBaseUrl?: string;
  /** `next dev` needs 'unsafe-eval' (React rebuilds error stacks with it). */
  dev?: boolean;
}

/** A fresh nonce: 16 random bytes, base64. */
export function newNonce(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return btoa(String.fromCharCode(...bytes));
}

function origin(url: string | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

export function contentSecurityPolicy(nonce: string, opts: SecurityHeaderOptions): string {
  const api = origin(opts.spotifyApiBaseUrl);
  const images = ["'self'", "data:", "blob:", "https:", ...(api && api.startsWith("http:") ? [api] : [])];
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${opts.dev ? " 'unsafe-eval'" : ""}`,
    `style-src 'self' 'nonce-${nonce}'`,
    "style-src-attr 'unsafe-inline'",
    `img-src ${images.join(" ")}`,
    "font-src 'self'",
    `connect-src 'self'${opts.dev ? " ws: wss:" : ""}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    ...(opts.appUrl.startsWith("https://") ? ["upgrade-insecure-requests"] : []),
  ].join("; ");
}

/** Headers for every answer, pages and API alike (the CSP is added to pages apart). */
export function securityHeaders(opts: SecurityHeaderOptions): Record<string, string> {
  return {
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "x-frame-options": "DENY",
    ...(opts.appUrl.startsWith("https://") ? { "strict-transport-security": "max-age=31536000; includeSubDomains" } : {}),
  };
}
