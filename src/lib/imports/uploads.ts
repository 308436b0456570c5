import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import type { Kysely } from "kysely";
import type { Config } from "../config/env";
import type { Database } from "../db/schema";
import { enqueue } from "../queue/enqueue";
import { dataDir } from "../util/paths";
import { receivingFileName } from "./sweep-uploads";
import type { ZipLimits } from "./zip-reader";

export class UploadTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`The upload is larger than the ${Math.round(limit / 1024 / 1024)} MB limit.`);
    this.name = "UploadTooLargeError";
  }
}

/** Where uploads wait for a worker. Web and workers must share it (same machine or volume). */
export function uploadsDir(config: Config): string {
  return path.join(dataDir(config.LINER_DATA_DIR), "uploads");
}

export function importLimits(config: Config): ZipLimits {
  return {
    maxEntries: config.IMPORT_MAX_ZIP_ENTRIES,
    maxEntryBytes: config.IMPORT_MAX_ENTRY_BYTES,
    maxTotalBytes: config.IMPORT_MAX_TOTAL_BYTES,
  };
}

/**
 * Streams a request body to a new file in `dir`, never holding it in memory. Past `maxBytes` the
 * copy stops, the partial file is removed and UploadTooLargeError is thrown.
 */
export async function saveUploadBody(
  body: ReadableStream<Uint8Array>,
  dir: string,
  maxBytes: number,
): Promise<{ path: string; bytes: number }> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, receivingFileName(randomUUID()));
  let bytes = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      if (bytes > maxBytes) cb(new UploadTooLargeError(maxBytes));
      else cb(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(body as WebReadableStream<Uint8Array>), limit, createWriteStream(file, { mode: 0o600 }));
    return { path: file, bytes };
  } catch (err) {
    await rm(file, { force: true });
    throw err;
  }
}

/**
 * Records an upload and enqueues its import in one transaction: either both exist or neither.
 * The job is keyed by the upload, so it is never queued twice.
 */
export async function createUpload(
  db: Kysely<Database>,
  upload: { userId: string; filePath: string; originalName: string | null; byteSize: number },
): Promise<string> {
  return db.transaction().execute(async (tx) => {
    const { id } = await tx
      .insertInto("upload_jobs")
      .values({
        user_id: upload.userId,
        file_path: upload.filePath,
        original_name: upload.originalName,
        byte_size: upload.byteSize,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    await enqueue(tx, "import_upload", { uploadId: id }, { jobKey: `import:${id}`, maxAttempts: 3 });
    return id;
  });
}

/** A person's view of one of their uploads; null when it is not theirs (or does not exist). */
export async function uploadStatus(db: Kysely<Database>, userId: string, uploadId: string) {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(uploadId)) return null;
  const u = await db
    .selectFrom("upload_jobs")
    .selectAll()
    .where("id", "=", uploadId)
    .where("user_id", "=", userId)
    .executeTakeFirst();
  if (!u) return null;
  const bytesTotal = u.bytes_total === null ? null : Number(u.bytes_total);
  return {
    uploadId: u.id,
    status: u.status,
    originalName: u.original_name,
    byteSize: u.byte_size === null ? null : Number(u.byte_size),
    files: u.files,
    entriesTotal: u.entries_total,
    entriesProcessed: u.entries_processed,
    inserted: u.inserted,
    duplicates: u.duplicates,
    upgraded: u.upgraded,
    // Rows that were the same play as another row of the upload, kept once.
    identicalFolded: u.identical_folded,
    skipped: u.skipped,
    skippedReasons: u.skipped_reasons,
    // Entries kept with a name cut to 1,000 characters.
    namesCapped: u.names_capped,
    // Reading progress; entries are only known as they are read.
    progress: bytesTotal ? Math.min(1, Number(u.bytes_processed) / bytesTotal) : u.status === "completed" ? 1 : 0,
    error: u.error,
    createdAt: u.created_at,
    startedAt: u.started_at,
    finishedAt: u.finished_at,
  };
}
