import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { SpotifyEnrichment } from "@/components/dashboard/spotify-enrichment";
import { UploadExport } from "@/components/dashboard/upload-export";
import { UploadsList } from "@/components/dashboard/uploads-list";
import { pageUser } from "@/lib/auth/page-user";
import { appDb } from "@/lib/db/app-db";
import { listUploads } from "@/lib/imports/upload-view";
import { enrichmentPanel } from "@/lib/monitoring/enrichment-panel";
import { connectionStatus } from "@/lib/spotify/connection";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Dashboard" };

export default async function Dashboard() {
  const user = await pageUser();
  if (!user) redirect("/");
  const { db, config } = appDb();
  const [panel, connection, uploads] = await Promise.all([
    enrichmentPanel(db, config, user.id),
    connectionStatus(db, user.id),
    listUploads(db, user.id, { limit: 20 }),
  ]);
  return (
    <main>
      <h1>Your listening history</h1>
      <p className="muted">
        Every listen is kept as soon as it is imported; Spotify&apos;s catalogue fills it in in the background. See it on the{" "}
        <a href="/history">history</a> page.
      </p>
      {connection.reconnectSoon && (
        <p role="alert" className="warning" data-testid="reconnect-soon">
          Spotify ends this connection on {connection.reconnectBy?.slice(0, 10)} ({connection.daysLeft} days).{" "}
          <a href="/api/auth/login">Reconnect now</a> to keep enrichment going.
        </p>
      )}
      <UploadExport />
      <UploadsList initial={uploads} />
      <SpotifyEnrichment initial={panel} />
    </main>
  );
}
