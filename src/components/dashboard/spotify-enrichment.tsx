"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import type { EnrichmentPanel } from "@/lib/monitoring/enrichment-panel";
import { RunsTable } from "./runs-table";

/** Polling stops when nothing is running; these states mean something is. */
const ACTIVE = new Set(["running", "queued", "rate_limited", "unavailable"]);
const POLL_MS = 2000;

const n = (x: number) => x.toLocaleString("en-US");

/**
 * The guide's dashboard component: progress of enrichment, what is left and how long it takes,
 * the state in words, "Enrich now" and "Retry failed", and the latest runs.
 */
export function SpotifyEnrichment({ initial }: { initial: EnrichmentPanel }) {
  const [panel, setPanel] = useState(initial);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  const refresh = useCallback(async () => {
    const res = await fetch("/api/spotify/enrich", { cache: "no-store" });
    if (res.ok) setPanel((await res.json()) as EnrichmentPanel);
  }, []);

  useEffect(() => {
    // Poll no faster than every 2 s, and only while something runs (or an upload just finished).
    if (timer.current) clearTimeout(timer.current);
    if (ACTIVE.has(panel.state.code)) timer.current = setTimeout(() => void refresh(), POLL_MS);
    return () => {
      if (timer.current) clearTimeout(timer.current);
    };
  }, [panel, refresh]);

  useEffect(() => {
    const onUpload = () => void refresh();
    window.addEventListener("liner:upload-completed", onUpload);
    return () => window.removeEventListener("liner:upload-completed", onUpload);
  }, [refresh]);

  const post = async (url: string, done: (body: Record<string, unknown>) => string) => {
    setBusy(true);
    setMessage(null);
    try {
      const res = await fetch(url, { method: "POST" });
      const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
      setMessage(res.ok ? done(body) : String(body.message ?? `The request failed (${res.status}).`));
      await refresh();
    } finally {
      setBusy(false);
    }
  };

  const l = panel.listens;
  return (
    <section className="panel" data-testid="enrichment-panel" aria-labelledby="enrichment-title">
      <h2 id="enrichment-title">Spotify enrichment</h2>
      <p data-testid="enrichment-state" className={`state state-${panel.state.code}`}>
        {panel.state.text}
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
        {panel.eta && (
          <>
            <dt>Time left</dt>
            <dd data-testid="eta">{panel.eta.text}</dd>
          </>
        )}
        <dt>Calls today</dt>
        <dd>
          {n(panel.budget.usedToday)} of {n(panel.budget.perDay)}
        </dd>
      </dl>
      <div className="actions">
        <button disabled={busy || panel.state.code === "not_connected" || panel.state.code === "needs_reconnect"} onClick={() => void post("/api/spotify/enrich", () => "Queued: enrichment starts in a moment.")}>
          Enrich now
        </button>
        <button disabled={busy || l.failed === 0} onClick={() => void post("/api/spotify/enrich/retry", (b) => `${n(Number(b.requeued ?? 0))} failed listens queued again.`)}>
          Retry failed
        </button>
        {panel.state.code === "needs_reconnect" && (
          <a className="button" href="/api/auth/login">
            Reconnect Spotify
          </a>
        )}
      </div>
      {message && (
        <p className="muted" role="status">
          {message}
        </p>
      )}
      <h3>Latest runs</h3>
      {panel.runs.length === 0 ? (
        <p className="muted">No runs yet.</p>
      ) : (
        <RunsTable runs={panel.runs} testId="runs" />
      )}
    </section>
  );
}
