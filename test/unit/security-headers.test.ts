import { describe, expect, it } from "vitest";
import nextConfig from "../../next.config";
import { contentSecurityPolicy, newNonce, securityHeaders } from "../../src/lib/web/security-headers";

describe("security headers", () => {
  it("API answers get the same plain headers from next.config.ts", async () => {
    const rules = await nextConfig.headers!();
    expect(rules).toHaveLength(1);
    expect(rules[0]!.source).toBe("/api/:path*");
    expect(Object.fromEntries(rules[0]!.headers.map((h) => [h.key, h.value]))).toEqual(securityHeaders({ appUrl: "http://127.0.0.1:3000" }));
  });

  it("HSTS and upgrade-insecure-requests only when APP_URL is https", () => {
    expect(securityHeaders({ appUrl: "https://liner.example" })["strict-transport-security"]).toBe("max-age=31536000; includeSubDomains");
    expect(securityHeaders({ appUrl: "http://127.0.0.1:3000" })["strict-transport-security"]).toBeUndefined();
    expect(contentSecurityPolicy("n", { appUrl: "https://liner.example" })).toContain("upgrade-insecure-requests");
    expect(contentSecurityPolicy("n", { appUrl: "http://127.0.0.1:3000" })).not.toContain("upgrade-insecure-requests");
    for (const appUrl of ["https://liner.example", "http://127.0.0.1:3000"]) {
      expect(securityHeaders({ appUrl })).toMatchObject({ "x-content-type-options": "nosniff", "referrer-policy": "strict-origin-when-cross-origin", "x-frame-options": "DENY" });
    }
  });

  it("scripts only by nonce (no unsafe-inline; unsafe-eval only for next dev); covers from https or the Web API's own origin", () => {
    const nonce = newNonce();
    expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(newNonce()).not.toBe(nonce);
    const csp = contentSecurityPolicy(nonce, { appUrl: "http://127.0.0.1:3000", spotifyApiBaseUrl: "http://127.0.0.1:4000/v1" });
    const d = Object.fromEntries(csp.split("; ").map((x) => [x.split(" ")[0], x.split(" ").slice(1)]));
    expect(d["script-src"]).toEqual(["'self'", `'nonce-${nonce}'`, "'strict-dynamic'"]);
    expect(d["frame-ancestors"]).toEqual(["'none'"]);
    expect(d["img-src"]).toEqual(["'self'", "data:", "blob:", "https:", "http://127.0.0.1:4000"]);
    expect(contentSecurityPolicy(nonce, { appUrl: "http://x", dev: true })).toContain("'strict-dynamic' 'unsafe-eval'");
    expect(contentSecurityPolicy(nonce, { appUrl: "http://x", spotifyApiBaseUrl: "https://api.spotify.com/v1" })).toContain("img-src 'self' data: blob: https:;");
  });
});
