import { sql, type Kysely, type Selectable } from "kysely";
import type { Database, UploadJobsTable } from "../db/schema";
import type { HistoryFormat } from "./detect-format";
import type { SkipReason } from "./listen";

/**
 * What a person sees of one upload, in words: the status route and the uploads list both answer
 * this, so a reload, another tab or another device shows the same state.
 */

export type UploadPhase = "receiving" | "queued" | "reading" | "saving" | "done" | "failed";

export const SKIP_REASON_WORDS: Record<SkipReason, string> = {
  no_identifiable_item: "rows with no track, episode or book (e.g. Unknown Artist)",
  invalid_time: "rows whose time cannot be read",
  invalid_ms_played: "rows with an impossible play length",
};

export const FORMAT_WORDS: Record<HistoryFormat, string> = {
  "basic-music": "Account data, music (last year, to the minute)",
  "basic-podcast": "Account data, podcasts (last year, to the minute)",
  "basic-audiobook": "Account data, audiobooks (last year, to the minute)",
  "extended-old": "Extended streaming history (older format)",
  "extended-new": "Extended streaming history (2023+ format)",
};

const IGNORED_WORDS: Record<string, string> = {
  encrypted: "it is encrypted, so it cannot be read",
  "empty file": "it is empty",
  "empty list": "it holds no entries",
  "not a JSON array": "it is not a list of listens",
  "not listening history": "it is not listening history (Spotify's other data: playlists, searches, your profile…)",
};

export interface UploadFileView {
  name: string;
  status: "imported" | "ignored";
  imported: boolean;
  format: string | null;
  /** The format in words, e.g. "Extended streaming history (2023+ format)". */
  formatText: string | null;
  entries: number | null;
  skipped: number | null;
  /** Why the file was ignored: the importer's word for it, and in words for people. */
  reason: string | null;
  ignoredBecause: string | null;
}

export interface UploadView {
  uploadId: string;
  /** The raw state: receiving → pending → processing → completed | failed. */
  status: Selectable<UploadJobsTable>["status"];
  phase: UploadPhase;
  /** The phase in words, with its numbers: "Receiving: 12.5 MB of 48.0 MB". */
  phaseText: string;
  /** Still moving (receiving, queued, reading, saving): worth asking again soon. */
  active: boolean;
  originalName: string | null;
  byteSize: number | null;
  bytesReceived: number;
  files: UploadFileView[];
  entriesTotal: number | null;
  entriesProcessed: number;
  inserted: number;
  duplicates: number;
  upgraded: number;
  /** Rows that were the same play as another row of the upload, kept once. */
  identicalFolded: number;
  skipped: number;
  skippedReasons: Record<string, number>;
  /** Skips by reason, in words. */
  skippedBy: Array<{ reason: string; text: string; count: number }>;
  /** Entries kept with a name cut to 1,000 characters. */
  namesCapped: number;
  /** Reading progress (0–1); entries are only known as they are read. */
  progress: number;
  /** When completed: what the import did, in one sentence. */
  summaryText: string | null;
  /** When failed: why, in words, naming the file. */
  error: string | null;
  /** When failed: what to do next. */
  nextStep: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

const n = (x: number) => x.toLocaleString("en-US");
const plural = (x: number, one: string, many = `${one}s`) => `${n(x)} ${x === 1 ? one : many}`;

export function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.max(0, Math.round(bytes / 1024)).toLocaleString("en-US")} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
}

/** What to do after a failure, from the kind of message the import left. */
export function nextStepFor(error: string): string {
  if (/no longer on the server|not finished within a day/.test(error)) return "Upload the file again.";
  if (/internal error|Retrying after/.test(error))
    return "Try again in a few minutes. If it fails again, the operator can find the reason in the server's log.";
  if (/re-zip/.test(error)) return "Unzip it and zip the files again with ordinary compression (deflate), then upload that zip.";
  if (/truncated|damaged|not a complete zip|cut short/.test(error))
    return "Download the export again from the link in Spotify's email (the link lasts 14 days, then ask for a new export) and upload the new copy.";
  if (/more than the|allowed for one/.test(error))
    return "Upload the zip exactly as Spotify sent it. If it is, the operator can raise the import limits.";
  return "Check that it is the zip Spotify sent (my_spotify_data.zip) or one JSON file from it, and upload it again.";
}

function phaseOf(u: Selectable<UploadJobsTable>): UploadPhase {
  switch (u.status) {
    case "receiving":
      return "receiving";
    case "pending":
      return "queued";
    case "processing": {
      const total = u.bytes_total === null ? 0 : Number(u.bytes_total);
      return total > 0 && Number(u.bytes_processed) >= total ? "saving" : "reading";
    }
    case "completed":
      return "done";
    default:
      return "failed";
  }
}

function summaryOf(u: Selectable<UploadJobsTable>): string {
  const entries = u.entries_total ?? u.entries_processed;
  if (entries === 0) return "The upload held no listens.";
  const parts: string[] = [];
  if (u.inserted === 0 && u.duplicates > 0) parts.push(`All ${plural(u.duplicates, "listen")} were already there: nothing new`);
  else parts.push(`${plural(u.inserted, "new listen")}, ${n(u.duplicates)} already there`);
  if (u.upgraded > 0) parts.push(`${n(u.upgraded)} filled in with the second, track id and details`);
  if (u.identical_folded > 0) parts.push(`${n(u.identical_folded)} identical ${u.identical_folded === 1 ? "row" : "rows"} counted once`);
  if (u.skipped > 0) parts.push(`${n(u.skipped)} skipped`);
  return `${parts.join("; ")}.`;
}

function fileView(f: unknown): UploadFileView {
  const r = (f ?? {}) as { name?: string; status?: string; format?: string; entries?: number; skipped?: number; reason?: string };
  const imported = r.status === "imported";
  return {
    name: String(r.name ?? "?"),
    status: imported ? "imported" : "ignored",
    imported,
    format: r.format ?? null,
    formatText: r.format ? (FORMAT_WORDS[r.format as HistoryFormat] ?? r.format) : null,
    entries: r.entries ?? null,
    skipped: r.skipped ?? null,
    reason: r.reason ?? null,
    ignoredBecause: imported ? null : (IGNORED_WORDS[r.reason ?? ""] ?? r.reason ?? IGNORED_WORDS["not listening history"]!),
  };
}

/** The one view of an upload row, for the list and the status route. */
export function uploadView(u: Selectable<UploadJobsTable>): UploadView {
  const phase = phaseOf(u);
  const byteSize = u.byte_size === null ? null : Number(u.byte_size);
  const bytesReceived = Number(u.bytes_received ?? 0);
  const bytesTotal = u.bytes_total === null ? null : Number(u.bytes_total);
  const retrying = u.status === "pending" && u.error !== null;
  const phaseText = {
    receiving: `Receiving: ${formatBytes(bytesReceived)}${byteSize ? ` of ${formatBytes(byteSize)}` : ""}`,
    queued: retrying ? "Waiting to try again" : "Queued: waiting for a worker to read it",
    reading: `Reading: ${plural(u.entries_processed, "entry", "entries")} so far`,
    saving: `Saving ${plural(u.entries_processed, "entry", "entries")}`,
    done: "Done",
    failed: "Failed",
  }[phase];
  const reasons = (u.skipped_reasons ?? {}) as Record<string, number>;
  return {
    uploadId: u.id,
    status: u.status,
    phase,
    phaseText,
    active: phase !== "done" && phase !== "failed",
    originalName: u.original_name,
    byteSize,
    bytesReceived,
    files: ((u.files ?? []) as unknown[]).map(fileView),
    entriesTotal: u.entries_total,
    entriesProcessed: u.entries_processed,
    inserted: u.inserted,
    duplicates: u.duplicates,
    upgraded: u.upgraded,
    identicalFolded: u.identical_folded,
    skipped: u.skipped,
    skippedReasons: reasons,
    skippedBy: Object.entries(reasons)
      .filter(([, c]) => c > 0)
      .map(([reason, count]) => ({ reason, count, text: SKIP_REASON_WORDS[reason as SkipReason] ?? reason.replace(/_/g, " ") })),
    namesCapped: u.names_capped,
    progress:
      phase === "receiving"
        ? byteSize
          ? Math.min(1, bytesReceived / byteSize)
          : 0
        : bytesTotal
          ? Math.min(1, Number(u.bytes_processed) / bytesTotal)
          : u.status === "completed"
            ? 1
            : 0,
    summaryText: phase === "done" ? summaryOf(u) : null,
    error: phase === "failed" ? u.error : null,
    nextStep: phase === "failed" && u.error ? nextStepFor(u.error) : null,
    createdAt: new Date(u.created_at).toISOString(),
    startedAt: u.started_at ? new Date(u.started_at).toISOString() : null,
    finishedAt: u.finished_at ? new Date(u.finished_at).toISOString() : null,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUploadId = (s: string) => UUID.test(s);

/** A person's view of one of their uploads; null when it is not theirs (or does not exist). */
export async function uploadStatus(db: Kysely<Database>, userId: string, uploadId: string): Promise<UploadView | null> {
  if (!isUploadId(uploadId)) return null;
  const u = await db.selectFrom("upload_jobs").selectAll().where("id", "=", uploadId).where("user_id", "=", userId).executeTakeFirst();
  return u ? uploadView(u) : null;
}

/**
 * A person's uploads, newest first, `limit` at a time; `before` (an upload id) continues after
 * that upload. `next` is the id to ask with for the following page, or null at the end.
 */
export async function listUploads(
  db: Kysely<Database>,
  userId: string,
  opts: { limit: number; before?: string },
): Promise<{ uploads: UploadView[]; active: boolean; next: string | null }> {
  let query = db.selectFrom("upload_jobs").selectAll().where("user_id", "=", userId);
  if (opts.before) {
    const before = opts.before;
    query = query.where(
      sql<boolean>`(created_at, id) < (select b.created_at, b.id from upload_jobs b where b.id = ${before}::uuid and b.user_id = ${userId})`,
    );
  }
  const rows = await query.orderBy("created_at", "desc").orderBy("id", "desc").limit(opts.limit + 1).execute();
  const uploads = rows.slice(0, opts.limit).map(uploadView);
  const active = opts.before
    ? uploads.some((u) => u.active)
    : uploads.some((u) => u.active) ||
      (await db
        .selectFrom("upload_jobs")
        .select("id")
        .where("user_id", "=", userId)
        .where("status", "in", ["receiving", "pending", "processing"])
        .executeTakeFirst()) !== undefined;
  return { uploads, active, next: rows.length > opts.limit ? uploads[uploads.length - 1]!.uploadId : null };
}
