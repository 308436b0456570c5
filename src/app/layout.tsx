import type { Metadata } from "next";
import Link from "next/link";
import type { ReactNode } from "react";
import { pageUser } from "@/lib/auth/page-user";
import { loadConfig } from "@/lib/config/env";
import { isAdmin } from "@/lib/auth/admins";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Liner", template: "%s · Liner" },
  description: "Your whole Spotify listening history, filled in with Spotify's catalogue.",
};

/**
 * Every page is rendered per request (the layout reads the session cookie), which the
 * Content-Security-Policy needs: Next.js puts the request's nonce on its scripts (src/proxy.ts).
 */
export default async function RootLayout({ children }: { children: ReactNode }) {
  const user = await pageUser().catch(() => null);
  const admin = user ? await isAdmin(user).catch(() => false) : false;
  return (
    <html lang="en">
      <body>
        {loadConfig().LINER_DEMO && (
          <p className="demo-banner" role="note">
            Demo: Spotify is simulated on this machine — the catalogue, the sign-in and the limits are stand-ins.
          </p>
        )}
        {user && (
          <nav className="top" aria-label="Main">
            <Link className="brand" href="/dashboard">
              Liner
            </Link>
            <Link href="/dashboard">Dashboard</Link>
            <Link href="/history">History</Link>
            {admin && <Link href="/admin">Operator</Link>}
            <Link href="/settings">Settings</Link>
          </nav>
        )}
        {children}
      </body>
    </html>
  );
}
