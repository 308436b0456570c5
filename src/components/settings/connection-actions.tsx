"use client";

import { useRef, useState } from "react";

async function send(method: string, url: string): Promise<string | null> {
  try {
    const res = await fetch(url, { method });
    if (res.ok) return null;
    const body = (await res.json().catch(() => null)) as { message?: string } | null;
    return body?.message ?? `The request failed (${res.status}).`;
  } catch {
    return "Liner could not be reached: try again in a moment.";
  }
}

type Action = "disconnect" | "logout" | "delete";

/**
 * Reconnect, disconnect, sign out and delete-my-data, each saying what it does. Deleting asks first
 * in a dialog, shows that it is working, and ends on the home page saying the data is gone.
 */
export function ConnectionActions({ connected }: { connected: boolean }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<Action | null>(null);
  const dialog = useRef<HTMLDialogElement>(null);
  const run = async (action: Action, method: string, url: string, then: string) => {
    setBusy(action);
    setError(null);
    const problem = await send(method, url);
    if (problem) {
      setBusy(null);
      setError(problem);
    } else window.location.assign(then);
  };
  return (
    <div className="actions">
      <a className="button" href="/api/auth/login">
        {connected ? "Reconnect Spotify" : "Connect Spotify"}
      </a>
      {connected && (
        <button
          disabled={busy !== null}
          aria-busy={busy === "disconnect"}
          onClick={() => {
            if (window.confirm("Disconnect Spotify? Your tokens are deleted now and enrichment stops until you reconnect.")) {
              void run("disconnect", "DELETE", "/api/spotify/connection", "/settings");
            }
          }}
        >
          {busy === "disconnect" ? "Disconnecting…" : "Disconnect Spotify"}
        </button>
      )}
      <button disabled={busy !== null} aria-busy={busy === "logout"} onClick={() => void run("logout", "POST", "/api/auth/logout", "/")}>
        {busy === "logout" ? "Signing out…" : "Sign out"}
      </button>
      <button className="danger" disabled={busy !== null} aria-busy={busy === "delete"} onClick={() => dialog.current?.showModal()} data-testid="delete-data">
        {busy === "delete" ? "Deleting…" : "Delete my data"}
      </button>
      <dialog ref={dialog} className="confirm" aria-labelledby="delete-title" data-testid="delete-dialog">
        <h2 id="delete-title">Delete all your data?</h2>
        <p>Your listens, uploads, enrichment runs, Spotify connection and account are deleted from this Liner. This cannot be undone.</p>
        <form method="dialog" className="actions">
          <button value="cancel" autoFocus>
            Keep my data
          </button>
          <button
            className="danger"
            value="delete"
            data-testid="confirm-delete"
            onClick={() => {
              void run("delete", "DELETE", "/api/account", "/?deleted=1");
            }}
          >
            Delete everything
          </button>
        </form>
      </dialog>
      {error && (
        <p role="alert" className="alert">
          {error}
        </p>
      )}
    </div>
  );
}
