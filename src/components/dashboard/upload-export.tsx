"use client";

import { useRef, useState } from "react";

interface UploadStatus {
  status: "pending" | "processing" | "completed" | "failed";
  progress: number;
  entriesProcessed: number;
  inserted: number;
  duplicates: number;
  upgraded: number;
  skipped: number;
  skippedReasons: Record<string, number>;
  files: Array<{ name: string; status: string; format?: string; entries?: number; reason?: string }>;
  error: string | null;
}

type Phase = { kind: "idle" } | { kind: "uploading"; ratio: number } | { kind: "importing"; status: UploadStatus | null } | { kind: "done"; status: UploadStatus } | { kind: "error"; message: string };

const n = (x: number) => x.toLocaleString("en-US");

function put(file: File, onProgress: (ratio: number) => void): Promise<{ uploadId: string }> {
  // XMLHttpRequest, not fetch: it reports upload progress in bytes.
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", `/api/uploads?name=${encodeURIComponent(file.name)}`);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      const body = JSON.parse(xhr.responseText || "{}") as { uploadId?: string; message?: string };
      if (xhr.status === 202 && body.uploadId) resolve({ uploadId: body.uploadId });
      else reject(new Error(body.message ?? `The upload failed (${xhr.status}).`));
    };
    xhr.onerror = () => reject(new Error("The upload was interrupted: check the connection and try again."));
    xhr.send(file);
  });
}

/** Drop the zip Spotify sent: a bar while it uploads (bytes) and while it imports, then the summary. */
export function UploadExport() {
  const [phase, setPhase] = useState<Phase>({ kind: "idle" });
  const [over, setOver] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  const start = async (file: File) => {
    setPhase({ kind: "uploading", ratio: 0 });
    try {
      const { uploadId } = await put(file, (ratio) => setPhase({ kind: "uploading", ratio }));
      setPhase({ kind: "importing", status: null });
      for (;;) {
        await new Promise((r) => setTimeout(r, 1000));
        const res = await fetch(`/api/uploads/${uploadId}/status`, { cache: "no-store" });
        if (!res.ok) continue;
        const status = (await res.json()) as UploadStatus;
        if (status.status === "completed" || status.status === "failed") {
          setPhase({ kind: "done", status });
          window.dispatchEvent(new Event("liner:upload-completed"));
          return;
        }
        setPhase({ kind: "importing", status });
      }
    } catch (err) {
      setPhase({ kind: "error", message: (err as Error).message });
    }
  };

  const busy = phase.kind === "uploading" || phase.kind === "importing";
  return (
    <section className="panel" aria-labelledby="upload-title">
      <h2 id="upload-title">Upload your Spotify data</h2>
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
          const file = e.dataTransfer.files[0];
          if (file && !busy) void start(file);
        }}
      >
        <p>
          Drop <code>my_spotify_data.zip</code> here (or a single JSON file from it), or{" "}
          <button type="button" className="link" disabled={busy} onClick={() => input.current?.click()}>
            choose a file
          </button>
          .
        </p>
        <input
          ref={input}
          type="file"
          accept=".zip,.json,application/zip,application/json"
          hidden
          data-testid="upload-input"
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (file) void start(file);
            e.target.value = "";
          }}
        />
      </div>
      {phase.kind === "uploading" && <Bar label="Uploading" ratio={phase.ratio} />}
      {phase.kind === "importing" && (
        <Bar label={`Importing${phase.status ? ` — ${n(phase.status.entriesProcessed)} entries read` : ""}`} ratio={phase.status?.progress ?? 0} />
      )}
      {phase.kind === "error" && (
        <p role="alert" className="alert">
          {phase.message}
        </p>
      )}
      {phase.kind === "done" && phase.status.status === "failed" && (
        <p role="alert" className="alert" data-testid="upload-error">
          The import failed: {phase.status.error}. Nothing of it was kept.
        </p>
      )}
      {phase.kind === "done" && phase.status.status === "completed" && (
        <div data-testid="upload-summary">
          <p>
            <strong>{n(phase.status.inserted)}</strong> new listens, {n(phase.status.duplicates)} already there
            {phase.status.upgraded ? ` (${n(phase.status.upgraded)} filled in)` : ""}, {n(phase.status.skipped)} skipped
            {Object.keys(phase.status.skippedReasons).length > 0 &&
              ` (${Object.entries(phase.status.skippedReasons)
                .map(([k, v]) => `${n(v)} ${k.replace(/_/g, " ")}`)
                .join(", ")})`}
            .
          </p>
          <ul className="files">
            {phase.status.files.map((f) => (
              <li key={f.name}>
                {f.name}: {f.status === "imported" ? `${n(f.entries ?? 0)} entries (${f.format})` : `ignored${f.reason ? ` — ${f.reason}` : ""}`}
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}

function Bar({ label, ratio }: { label: string; ratio: number }) {
  const pct = Math.round(ratio * 100);
  return (
    <div>
      <p>
        {label} {pct}%
      </p>
      <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-label={label}>
        <div className="progress-fill" style={{ width: `${pct}%` }} />
      </div>
    </div>
  );
}
