import Link from "next/link";
import { pageUser } from "@/lib/auth/page-user";

export const dynamic = "force-dynamic";

const errors: Record<string, string> = {
  access_denied: "You declined on Spotify's page, so nothing was connected.",
  state_mismatch: "The sign-in took too long or came from another tab. Please try again.",
  invalid_grant: "Spotify did not accept the sign-in code (it may have been used already). Please try again.",
  not_configured: "This Liner has no Spotify app configured yet: the operator must set SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET (`liner doctor` explains).",
  network: "Spotify could not be reached. Please try again in a moment.",
};

export default async function Home({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const { error } = await searchParams;
  const user = await pageUser();
  return (
    <main>
      <h1>Liner</h1>
      <p>Your whole Spotify listening history, filled in with Spotify&apos;s catalogue.</p>
      <p className="muted">
        Upload the data export Spotify gives you; Liner keeps every listen and adds track ids, albums,
        cover art, artists and ISRCs in the background.
      </p>
      {error && (
        <p role="alert" className="alert">
          {errors[error] ?? "Signing in with Spotify did not work. Please try again."}
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
