"use client";

import { useEffect, useId, useRef, useState } from "react";
import * as tus from "tus-js-client";

type Sending =
  | { kind: "idle" }
  | { kind: "sending"; name: string; sent: number; total: number; resumedFrom: number }
  | { kind: "sent"; name: string }
  | { kind: "error"; message: string };

const mb = (bytes: number) => (bytes < 1024 * 1024 ? `${Math.round(bytes / 1024)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`);

/** Tells the uploads list to look again now (an upload was created, or finished arriving). */
export const UPLOADS_CHANGED = "liner:uploads-changed";

function messageOf(err: unknown): string {
  const res = (err as { originalResponse?: { getBody(): string; getStatus(): number } | null }).originalResponse;
  if (res) {
    try {
      const body = JSON.parse(res.getBody()) as { message?: string };
      if (body.message) return body.message;
    } catch {
      // Not our JSON: say it plainly below.
    }
    if (res.getStatus() === 413) return "The file is larger than this Liner accepts.";
    return `The server refused the upload (${res.getStatus()}). Reload the page and try again.`;
  }
  return "The connection was lost and retrying did not help. Choose the same file again: the upload continues from where it stopped.";
}

/** An upload another tab of this browser is sending right now holds this lock (Web Locks). */
const lockName = (url: string) => `liner-upload:${url}`;

async function sentElsewhere(url: string): Promise<boolean> {
  if (!("locks" in navigator)) return false;
  const { held = [] } = await navigator.locks.query();
  return held.some((l) => l.name === lockName(url));
}

/** Holds the upload's lock until `release` is called: other tabs then start their own upload of the same file. */
function holdLock(url: string): () => void {
  let release = () => {};
  if ("locks" in navigator) {
    void navigator.locks.request(lockName(url), () => new Promise<void>((resolve) => (release = resolve)));
  }
  return () => release();
}

/**
 * The upload box: choose (or drop) the zip Spotify sent; it is sent with the tus protocol, so a
 * dropped connection retries and, after a reload, choosing the same file again continues from the
 * last byte the server has. The import that follows is shown by the uploads list below.
 */
export function UploadExport() {
  const [state, setState] = useState<Sending>({ kind: "idle" });
  const [over, setOver] = useState(false);
  const inputId = useId();
  const current = useRef<tus.Upload | null>(null);

  // Leaving the page while bytes are still going out would pause the upload: ask first.
  useEffect(() => {
    if (state.kind !== "sending") return;
    const warn = (e: BeforeUnloadEvent) => {
      e.preventDefault();
      e.returnValue = "";
    };
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [state.kind]);

  const start = async (file: File) => {
    if (file.size === 0) {
      setState({ kind: "error", message: `${file.name} is empty: choose the zip Spotify sent.` });
      return;
    }
    setState({ kind: "sending", name: file.name, sent: 0, total: file.size, resumedFrom: 0 });
    let unlock = () => {};
    const upload = new tus.Upload(file, {
      endpoint: "/api/uploads/tus",
      metadata: { filename: file.name, filetype: file.type || "application/octet-stream" },
      chunkSize: 16 * 1024 * 1024,
      retryDelays: [0, 1000, 3000, 5000, 10000, 20000],
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      onShouldRetry: (err) => {
        const status = (err as tus.DetailedError).originalResponse?.getStatus() ?? 0;
        return status === 0 || status >= 500 || status === 409 || status === 423;
      },
      onUploadUrlAvailable: () => {
        unlock();
        if (upload.url) unlock = holdLock(upload.url);
        window.dispatchEvent(new Event(UPLOADS_CHANGED));
      },
      onProgress: (sent, total) => {
        setState((s) => (s.kind === "sending" ? { ...s, sent, total } : s));
      },
      onSuccess: () => {
        unlock();
        current.current = null;
        setState({ kind: "sent", name: file.name });
        window.dispatchEvent(new Event(UPLOADS_CHANGED));
      },
      onError: (err) => {
        unlock();
        current.current = null;
        setState({ kind: "error", message: messageOf(err) });
        window.dispatchEvent(new Event(UPLOADS_CHANGED));
      },
    });
    current.current = upload;
    // The same file chosen again after a reload (or a lost connection) continues where it stopped,
    // unless another tab is sending that upload right now: then this one is an upload of its own.
    const previous = await upload.findPreviousUploads().catch(() => []);
    for (const p of previous.reverse()) {
      if (p.uploadUrl && !(await sentElsewhere(p.uploadUrl))) {
        upload.resumeFromPreviousUpload(p);
        setState((s) => (s.kind === "sending" ? { ...s, resumedFrom: -1 } : s));
        break;
      }
    }
    upload.start();
  };

  const busy = state.kind === "sending";
  const choose = (file: File | undefined) => {
    if (file && !busy) void start(file);
  };
  return (
    <section className="panel" aria-labelledby="upload-title">
      <h2 id="upload-title">Upload your Spotify data</h2>
      <div className="upload-grid">
        <div
          className={`dropzone${over ? " over" : ""}`}
          data-testid="dropzone"
          onDragOver={(e) => {
            e.preventDefault();
            setOver(true);
          }}
          onDragLeave={() => setOver(false)}
          onDrop={(e) => {
            e.preventDefault();
            setOver(false);
            choose(e.dataTransfer.files[0]);
          }}
        >
          <p>
            <input
              id={inputId}
              type="file"
              accept=".zip,.json,application/zip,application/json"
              className="visually-hidden"
              disabled={busy}
              data-testid="upload-input"
              onChange={(e) => {
                choose(e.target.files?.[0]);
                e.target.value = "";
              }}
            />
            <label htmlFor={inputId} className={`button file-button${busy ? " disabled" : ""}`} aria-disabled={busy}>
              Choose a file
            </label>
          </p>
          <p className="muted small">
            <code>my_spotify_data.zip</code> as Spotify sent it, or one JSON file from it. You can also drop it here.
          </p>
          {state.kind === "sending" && (
            <div data-testid="upload-sending">
              <p>
                Sending {state.name}: {mb(state.sent)} of {mb(state.total)} ({Math.floor((state.sent / state.total) * 100)}%)
                {state.resumedFrom !== 0 && " — continuing where it stopped"}
              </p>
              <div
                className="progress"
                role="progressbar"
                aria-valuemin={0}
                aria-valuemax={100}
                aria-valuenow={Math.floor((state.sent / state.total) * 100)}
                aria-label="Sending"
              >
                <div className="progress-fill" style={{ width: `${(state.sent / state.total) * 100}%` }} />
              </div>
              <p className="muted small">Keep this page open until it is sent. If the connection drops, it carries on by itself.</p>
            </div>
          )}
          {state.kind === "sent" && (
            <p className="muted" data-testid="upload-sent">
              {state.name} is sent; its import is shown below.
            </p>
          )}
          {state.kind === "error" && (
            <p role="alert" className="alert" data-testid="upload-send-error">
              {state.message}
            </p>
          )}
        </div>
        <ExportHelp />
      </div>
    </section>
  );
}

/** How to ask Spotify for each kind of export, next to the upload box. */
function ExportHelp() {
  return (
    <div className="export-help" data-testid="export-help">
      <p>
        <strong>Getting your data from Spotify:</strong> on spotify.com, open Account → Privacy settings → <em>Download your data</em>,
        tick what you want and confirm from the email Spotify sends. Upload either kind, or both, in any order.
      </p>
      <dl className="export-kinds">
        <dt>Account data</dt>
        <dd>Arrives in about 5 days. The last year only, times to the minute, artist and track names but no track ids.</dd>
        <dt>Extended streaming history</dt>
        <dd>Arrives in up to 30 days. Your whole history, times to the second, with track ids, podcasts and audiobooks.</dd>
      </dl>
    </div>
  );
}
