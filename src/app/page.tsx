import type { Metadata } from "next";
import Link from "next/link";
import { z } from "zod";
import { pageUser } from "@/lib/auth/page-user";
import { pageParam } from "@/lib/web/query";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: { absolute: "Liner · your whole Spotify listening history" } };

const errors: Record<string, string> = {
  access_denied: "You declined on Spotify's page, so nothing was connected.",
  state_mismatch: "The sign-in took too long or came from another tab. Please try again.",
  invalid_grant: "Spotify did not accept the sign-in code (it may have been used already). Please try again.",
  not_configured: "This Liner has no Spotify app configured yet: the operator must set SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET (`liner doctor` explains).",
  network: "Spotify could not be reached. Please try again in a moment.",
};

/** "Spotify is busy": when to come back, from the callback's retry_at (a time, in UTC). */
function busyMessage(retryAt: Date | null): string {
  if (!retryAt) return "Spotify is busy right now (it is limiting how often this app may ask). Please try again in a few minutes.";
  const minutes = Math.max(1, Math.ceil((retryAt.getTime() - Date.now()) / 60_000));
  const at = retryAt.toISOString().slice(11, 16);
  const when = minutes < 90 ? `in about ${minutes} minute${minutes === 1 ? "" : "s"}` : `in about ${Math.round(minutes / 60)} hours`;
  return `Spotify is busy right now (it is limiting how often this app may ask). Please try again after ${at} UTC (${when}).`;
}

const errorCode = z.string().max(64);
const isoTime = z.iso.datetime().transform((s) => new Date(s));

export default async function Home({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const error = pageParam(params.error, errorCode, undefined);
  const message =
    error === undefined
      ? null
      : error === "spotify_busy"
        ? busyMessage(pageParam(params.retry_at, isoTime, null))
        : Object.hasOwn(errors, error)
          ? errors[error]
          : "Signing in with Spotify did not work. Please try again.";
  const user = await pageUser();
  const deleted = pageParam(params.deleted, z.literal("1"), undefined) !== undefined;
  return (
    <main>
      <h1>Liner</h1>
      <p>Your whole Spotify listening history, filled in with Spotify&apos;s catalogue.</p>
      <p className="muted">
        Upload the data export Spotify gives you; Liner keeps every listen and adds track ids, albums,
        cover art, artists and ISRCs in the background.
      </p>
      {deleted && !user && (
        <p role="status" className="notice" data-testid="deleted">
          Your data was deleted: your listens, uploads, enrichment runs, Spotify connection and account are gone from this Liner.
        </p>
      )}
      {message && (
        <p role="alert" className="alert">
          {message}
        </p>
      )}
      {user ? (
        <p>
          Signed in as <strong>{user.display_name ?? user.spotify_id}</strong>. <Link href="/dashboard">Go to your dashboard</Link>
        </p>
      ) : (
        <p>
          <a className="button" href="/api/auth/login">
            Sign in with Spotify
          </a>
        </p>
      )}
      <p className="muted small">
        Liner asks Spotify only for who you are — no access to your playlists, library or playback.
      </p>
    </main>
  );
}
