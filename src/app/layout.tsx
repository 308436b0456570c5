import type { Metadata } from "next";
import type { ReactNode } from "react";
import { pageUser } from "@/lib/auth/page-user";
import { loadConfig } from "@/lib/config/env";
import { isAdmin } from "@/lib/monitoring/admins";
import "./globals.css";

export const metadata: Metadata = {
  title: "Liner",
  description: "Your whole Spotify listening history, filled in with Spotify's catalogue.",
};

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
            <a className="brand" href="/dashboard">
              Liner
            </a>
            <a href="/dashboard">Dashboard</a>
            <a href="/history">History</a>
            {admin && <a href="/admin">Operator</a>}
            <a href="/settings">Settings</a>
          </nav>
        )}
        {children}
      </body>
    </html>
  );
}
