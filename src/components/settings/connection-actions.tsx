"use client";

import { useState } from "react";

async function send(method: string, url: string): Promise<string | null> {
  const res = await fetch(url, { method });
  if (res.ok) return null;
  const body = (await res.json().catch(() => null)) as { message?: string } | null;
  return body?.message ?? `The request failed (${res.status}).`;
}

/** Reconnect, disconnect, sign out and delete-my-data, each saying what it does. */
export function ConnectionActions({ connected }: { connected: boolean }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (method: string, url: string, then: string) => {
    setBusy(true);
    const problem = await send(method, url);
    setBusy(false);
    if (problem) setError(problem);
    else window.location.assign(then);
  };
  return (
    <div className="actions">
      <a className="button" href="/api/auth/login">
        {connected ? "Reconnect Spotify" : "Connect Spotify"}
      </a>
      {connected && (
        <button
          disabled={busy}
          onClick={() => {
            if (window.confirm("Disconnect Spotify? Your tokens are deleted now and enrichment stops until you reconnect.")) {
              void run("DELETE", "/api/spotify/connection", "/settings");
            }
          }}
        >
          Disconnect Spotify
        </button>
      )}
      <button disabled={busy} onClick={() => void run("POST", "/api/auth/logout", "/")}>
        Sign out
      </button>
      <button
        className="danger"
        disabled={busy}
        onClick={() => {
          if (window.confirm("Delete all your data — listens, uploads, runs and your account? This cannot be undone.")) {
            void run("DELETE", "/api/account", "/");
          }
        }}
      >
        Delete my data
      </button>
      {error && (
        <p role="alert" className="alert">
          {error}
        </p>
      )}
    </div>
  );
}
