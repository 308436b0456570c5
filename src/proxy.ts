import { NextResponse, type NextRequest } from "next/server";
import { contentSecurityPolicy, newNonce, securityHeaders, type SecurityHeaderOptions } from "@/lib/web/security-headers";

let options: SecurityHeaderOptions | undefined;
function headerOptions(): SecurityHeaderOptions {
  return (options ??= {
    appUrl: process.env.APP_URL ?? "http://127.0.0.1",
    spotifyApiBaseUrl: process.env.SPOTIFY_API_BASE_URL,
    dev: process.env.NODE_ENV === "development",
  });
}

/**
 * Every page gets the security headers and a Content-Security-Policy with a fresh nonce.
 * Next.js reads the nonce from the request's CSP header and puts it on its own scripts, so every
 * page must be rendered per request (the root layout reads the session: they all are).
 */
export function proxy(request: NextRequest): NextResponse {
  const opts = headerOptions();
  const csp = contentSecurityPolicy(newNonce(), opts);
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set("content-security-policy", csp);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  response.headers.set("content-security-policy", csp);
  for (const [name, value] of Object.entries(securityHeaders(opts))) response.headers.set(name, value);
  return response;
}

export const config = {
  // Pages only. Not the API: Next.js copies a proxied request's body and cuts it at 10 MB, and
  // uploads are streamed (API answers get the plain headers from next.config.ts). Not the build's
  // static files: immutable scripts and styles, served with their types.
  matcher: ["/((?!api/|_next/static|_next/image|favicon.ico).*)"],
};
