"use client";

import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from "react";
import type { UploadView } from "@/lib/imports/upload-view";
import { UPLOADS_CHANGED } from "./upload-export";

export interface UploadsPage {
  uploads: UploadView[];
  active: boolean;
  next: string | null;
}

const POLL_MS = 1500;
const noSubscription = () => () => {};
const n = (x: number) => x.toLocaleString("en-US");

/** A time in the reader's own time zone (only in the browser: the server does not know it). */
function When({ iso }: { iso: string }) {
  // False while rendering on the server and hydrating, true in the browser after that.
  const inBrowser = useSyncExternalStore(
    noSubscription,
    () => true,
    () => false,
  );
  return <time dateTime={iso}>{inBrowser ? new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" }) : ""}</time>;
}

/**
 * The person's uploads, newest first, as the server keeps them: so a reload, another tab or another
 * device shows the same. Asks again every 1.5 s while any upload is receiving, queued or being
 * read, and stops when none is.
 */
export function UploadsList({ initial }: { initial: UploadsPage }) {
  const [page, setPage] = useState<UploadsPage>(initial);
  const [more, setMore] = useState<UploadView[]>([]);
  const [next, setNext] = useState<string | null>(initial.next);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const seenActive = useRef(new Set(initial.uploads.filter((u) => u.active).map((u) => u.uploadId)));

  const refresh = useCallback(async () => {
    try {
      const res = await fetch("/api/uploads?limit=20", { cache: "no-store" });
      if (!res.ok) return;
      const body = (await res.json()) as UploadsPage;
      // An import that was running here and is now done: the enrichment panel wants to know.
      if (body.uploads.some((u) => u.phase === "done" && seenActive.current.has(u.uploadId))) {
        window.dispatchEvent(new Event("liner:upload-completed"));
      }
      seenActive.current = new Set(body.uploads.filter((u) => u.active).map((u) => u.uploadId));
      setPage(body);
      if (more.length === 0) setNext(body.next);
    } catch {
      // Offline for a moment: the next tick tries again.
    }
  }, [more.length]);

  useEffect(() => {
    if (timer.current) clearTimeout(timer.current);
    if (page.active) timer.current = setTimeout(() => void refresh(), POLL_MS);
    return () => {
      if (timer.current) clearTimeout(timer.current);
    };
  }, [page, refresh]);

  useEffect(() => {
    const now = () => void refresh();
    window.addEventListener(UPLOADS_CHANGED, now);
    // Back to this tab: what happened elsewhere shows at once.
    document.addEventListener("visibilitychange", now);
    return () => {
      window.removeEventListener(UPLOADS_CHANGED, now);
      document.removeEventListener("visibilitychange", now);
    };
  }, [refresh]);

  const loadMore = async () => {
    if (!next) return;
    const res = await fetch(`/api/uploads?limit=20&before=${next}`, { cache: "no-store" });
    if (!res.ok) return;
    const body = (await res.json()) as UploadsPage;
    setMore((m) => [...m, ...body.uploads]);
    setNext(body.next);
  };

  const all = [...page.uploads, ...more.filter((m) => !page.uploads.some((u) => u.uploadId === m.uploadId))];
  return (
    <section className="panel" aria-labelledby="uploads-title" data-testid="uploads">
      <h2 id="uploads-title">Your uploads</h2>
      {all.length === 0 ? (
        <p className="muted">Nothing uploaded yet.</p>
      ) : (
        <ol className="uploads">
          {all.map((u) => (
            <UploadItem key={u.uploadId} u={u} />
          ))}
        </ol>
      )}
      {next && (
        <button type="button" onClick={() => void loadMore()}>
          Show older uploads
        </button>
      )}
    </section>
  );
}

function UploadItem({ u }: { u: UploadView }) {
  const pct = Math.floor(u.progress * 100);
  return (
    <li className={`upload upload-${u.phase}`} data-testid="upload-item" data-upload-id={u.uploadId} data-phase={u.phase}>
      <p className="upload-head">
        <strong className="upload-name">{u.originalName ?? "Upload"}</strong>{" "}
        <span className="muted small">
          <When iso={u.createdAt} />
        </span>
      </p>
      <p className="state" data-testid="upload-phase">
        {u.phaseText}
      </p>
      {(u.phase === "receiving" || u.phase === "reading") && (
        <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-label={u.phaseText}>
          <div className="progress-fill" style={{ width: `${pct}%` }} />
        </div>
      )}
      {u.phase === "receiving" && (
        <p className="muted small">If the page that was sending it was reloaded or closed, choose the same file again: it continues from here.</p>
      )}
      {u.phase === "done" && (
        <div data-testid="upload-summary">
          <p>{u.summaryText}</p>
          {u.skippedBy.length > 0 && (
            <p className="small">
              Skipped: {u.skippedBy.map((s) => `${n(s.count)} ${s.text}`).join("; ")}.
            </p>
          )}
          {u.namesCapped > 0 && <p className="small">{n(u.namesCapped)} with a name over 1,000 characters, cut there.</p>}
          <ul className="files">
            {u.files.map((f) => (
              <li key={f.name} title={f.name}>
                {f.name.split("/").pop()}:{" "}
                {f.imported
                  ? `${n(f.entries ?? 0)} entries — ${f.formatText}${f.skipped ? `, ${n(f.skipped)} skipped` : ""}`
                  : `ignored: ${f.ignoredBecause}`}
              </li>
            ))}
          </ul>
        </div>
      )}
      {u.phase === "failed" && (
        <div role="alert" className="alert" data-testid="upload-error">
          <p>
            The import failed: {u.error ?? "no reason was recorded."} Nothing of it was kept.
          </p>
          {u.nextStep && <p>What to do: {u.nextStep}</p>}
        </div>
      )}
    </li>
  );
}
