import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { ConnectionActions } from "@/components/settings/connection-actions";
import { pageUser } from "@/lib/auth/page-user";
import { appDb } from "@/lib/db/app-db";
import { connectionStatus } from "@/lib/spotify/connection";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Settings" };

const stateWords: Record<string, string> = {
  valid: "Connected",
  expired: "Expired — reconnect Spotify",
  revoked: "Access revoked — reconnect Spotify",
  none: "Not connected",
};

function day(iso: string | null): string {
  return iso ? new Date(iso).toISOString().slice(0, 10) : "—";
}

export default async function Settings() {
  const user = await pageUser();
  if (!user) redirect("/");
  const connection = await connectionStatus(appDb().db, user.id);
  return (
    <main>
      <h1>Settings</h1>
      <p>
        Signed in as <strong data-testid="display-name">{user.display_name ?? user.spotify_id}</strong>{" "}
        <span className="muted">({user.spotify_id})</span>
      </p>
      {connection.needsReconnect && connection.state !== "none" && (
        <p role="alert" className="alert">
          Your Spotify connection has ended, so enrichment is paused. <a href="/api/auth/login">Reconnect Spotify</a> to resume it.
        </p>
      )}
      {connection.reconnectSoon && (
        <p role="alert" className="warning">
          Spotify ends this connection on {day(connection.reconnectBy)} ({connection.daysLeft} days). <a href="/api/auth/login">Reconnect now</a> to keep enrichment going.
        </p>
      )}
      <h2>Spotify connection</h2>
      <dl className="facts">
        <dt>State</dt>
        <dd data-testid="connection-state">{stateWords[connection.state]}</dd>
        <dt>Authorised</dt>
        <dd>{day(connection.authorizedAt)}</dd>
        <dt>Reconnect by</dt>
        <dd data-testid="reconnect-by">{day(connection.reconnectBy)}</dd>
        {connection.lastError && (
          <>
            <dt>Last error</dt>
            <dd>{connection.lastError}</dd>
          </>
        )}
      </dl>
      <ConnectionActions connected={connection.state !== "none"} />
    </main>
  );
}
