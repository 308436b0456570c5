"use client";

import { useCallback, useEffect, useState } from "react";
import type { EnrichmentPanel } from "@/lib/monitoring/enrichment-panel";
import { LIVE_STATES, stateLine, timeLeft } from "@/lib/monitoring/live-state";
import { RunsTable } from "./runs-table";
import { useNow } from "./use-now";

const POLL_MS = 2000;
/** Tabs of this browser tell each other when one of them changed something. */
const CHANNEL = "liner:enrichment";

const n = (x: number) => x.toLocaleString("en-US");

/** Something still moves: a job queued or on, a wait on a limit, or a run row not yet ended. */
function isLive(panel: EnrichmentPanel): boolean {
  return LIVE_STATES.has(panel.state.code) || panel.runs.some((r) => r.status === "running");
}

/**
 * The enrichment panel: progress, what is left and how long it takes, the state in words, "Enrich
 * now" and "Retry failed", and the latest runs. The server is its only source: it asks
 * GET /api/spotify/enrich every 2 s while anything moves, and at once when another tab of this
 * browser changed something or the tab comes back into view.
 */
export function SpotifyEnrichment({ initial }: { initial: EnrichmentPanel }) {
  const [panel, setPanel] = useState(initial);
  const [polls, setPolls] = useState(0);
  const [message, setMessage] = useState<{ text: string; code: string } | null>(null);
  const [busy, setBusy] = useState<null | "enrich" | "retry">(null);
  const now = useNow();

  const refresh = useCallback(async (): Promise<EnrichmentPanel | null> => {
    try {
      const res = await fetch("/api/spotify/enrich", { cache: "no-store" });
      if (!res.ok) return null;
      const next = (await res.json()) as EnrichmentPanel;
      setPanel(next);
      return next;
    } catch {
      return null;
    } finally {
      setPolls((p) => p + 1);
    }
  }, []);

  const live = isLive(panel);
  useEffect(() => {
    // Every 2 s while something moves; a failed poll is tried again at the next tick.
    if (!live) return;
    const t = setTimeout(() => void refresh(), POLL_MS);
    return () => clearTimeout(t);
  }, [live, polls, refresh]);

  useEffect(() => {
    const channel = typeof BroadcastChannel === "undefined" ? null : new BroadcastChannel(CHANNEL);
    const again = () => void refresh();
    const onUpload = () => {
      again();
      channel?.postMessage("changed");
    };
    const onVisible = () => {
      if (document.visibilityState === "visible") again();
    };
    if (channel) {
      channel.onmessage = again;
      // A page that just loaded may follow a change made elsewhere (a reconnect, an upload): the
      // other tabs ask the server again too.
      channel.postMessage("loaded");
    }
    window.addEventListener("liner:upload-completed", onUpload);
    window.addEventListener("focus", again);
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      channel?.close();
      window.removeEventListener("liner:upload-completed", onUpload);
      window.removeEventListener("focus", again);
      document.removeEventListener("visibilitychange", onVisible);
    };
  }, [refresh]);

  const post = async (kind: "enrich" | "retry", url: string, done: (body: Record<string, unknown>) => string) => {
    setBusy(kind);
    setMessage(null);
    try {
      const res = await fetch(url, { method: "POST" });
      const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
      const text = res.ok ? done(body) : String(body.message ?? `The request failed (${res.status}).`);
      const next = await refresh();
      if (typeof BroadcastChannel !== "undefined") {
        const channel = new BroadcastChannel(CHANNEL);
        channel.postMessage("changed");
        channel.close();
      }
      // The note stands while the state it was said in does; the state line takes over after.
      setMessage({ text, code: (next ?? panel).state.code });
    } catch {
      setMessage({ text: "Liner could not be reached: try again in a moment.", code: panel.state.code });
    } finally {
      setBusy(null);
    }
  };

  const l = panel.listens;
  const connected = panel.state.code !== "not_connected" && panel.state.code !== "needs_reconnect";
  const estimate = now && panel.eta ? timeLeft(panel.timeLeft, { now }) : null;
  return (
    <section className="panel" data-testid="enrichment-panel" aria-labelledby="enrichment-title" aria-busy={busy !== null}>
      <h2 id="enrichment-title">Spotify enrichment</h2>
      <p data-testid="enrichment-state" data-code={panel.state.code} className={`state state-${panel.state.code}`} aria-live="polite">
        {stateLine(panel.state, now ? { now } : null)}
      </p>
      <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={panel.percent} aria-label="Listens enriched">
        <div className="progress-fill" style={{ width: `${panel.percent}%` }} />
      </div>
      <p>
        <strong data-testid="enrichment-percent">{panel.percent}%</strong> of {n(l.enriched + l.pending + l.notFound + l.failed)} track listens enriched
      </p>
      <dl className="facts counts">
        <dt>Listens</dt>
        <dd data-testid="count-total">{n(l.total)}</dd>
        <dt>Enriched</dt>
        <dd data-testid="count-enriched">{n(l.enriched)}</dd>
        <dt>Pending</dt>
        <dd data-testid="count-pending">{n(l.pending)}</dd>
        <dt>Not found</dt>
        <dd data-testid="count-not-found">{n(l.notFound)}</dd>
        <dt>Failed</dt>
        <dd data-testid="count-failed">{n(l.failed)}</dd>
        <dt>Unique tracks left</dt>
        <dd data-testid="tracks-left">
          {n(panel.backlog.uniqueTracks)} ({n(panel.backlog.needingCalls)} need a call to Spotify)
        </dd>
        {connected && panel.eta && (
          <>
            <dt>Time left</dt>
            <dd data-testid="eta">{estimate ? estimate.text : "working it out…"}</dd>
          </>
        )}
        <dt>Calls today</dt>
        <dd data-testid="calls-today">
          {n(panel.budget.usedToday)} of {n(panel.budget.perDay)}
        </dd>
      </dl>
      <div className="actions">
        {connected ? (
          <button
            data-testid="enrich-now"
            disabled={busy !== null}
            aria-busy={busy === "enrich"}
            onClick={() => void post("enrich", "/api/spotify/enrich", (b) => String(b.message ?? "Queued: enrichment starts in a moment."))}
          >
            {busy === "enrich" ? "Asking…" : "Enrich now"}
          </button>
        ) : (
          <a className="button" href="/api/auth/login" data-testid="connect-spotify">
            {panel.state.code === "needs_reconnect" ? "Reconnect Spotify" : "Connect Spotify"}
          </a>
        )}
        <button
          disabled={busy !== null || l.failed === 0}
          aria-busy={busy === "retry"}
          onClick={() => void post("retry", "/api/spotify/enrich/retry", (b) => `${n(Number(b.requeued ?? 0))} failed listens queued again.`)}
        >
          {busy === "retry" ? "Queueing…" : "Retry failed"}
        </button>
      </div>
      {message && message.code === panel.state.code && (
        <p className="muted" role="status" data-testid="enrich-message">
          {message.text}
        </p>
      )}
      <h3>Latest runs</h3>
      {panel.runs.length === 0 ? <p className="muted">No runs yet.</p> : <RunsTable runs={panel.runs} testId="runs" />}
    </section>
  );
}
