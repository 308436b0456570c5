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

export { uploadStatus } from "./upload-view";

/**
 * A resumable upload's row, made when its first request arrives: the list shows it "receiving"
 * with its bytes from then on. `id` is the tus upload's id.
 */
export async function startReceiving(
  db: Kysely<Database>,
  upload: { id: string; userId: string; originalName: string | null; byteSize: number },
): Promise<void> {
  await db
    .insertInto("upload_jobs")
    .values({ id: upload.id, user_id: upload.userId, status: "receiving", original_name: upload.originalName, byte_size: upload.byteSize })
    .execute();
}

/** Bytes of a resumable upload received so far (only while it is receiving). */
export async function recordReceived(db: Kysely<Database>, id: string, bytes: number): Promise<void> {
  await db.updateTable("upload_jobs").set({ bytes_received: bytes }).where("id", "=", id).where("status", "=", "receiving").execute();
}

/**
 * A resumable upload is whole: its row becomes an import waiting for a worker, and the import job
 * is enqueued in the same transaction — as createUpload does for PUT. False when the row is not
 * this person's receiving upload.
 */
export async function finishReceiving(
  db: Kysely<Database>,
  upload: { id: string; userId: string; filePath: string; byteSize: number },
): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    const row = await tx
      .updateTable("upload_jobs")
      .set({ status: "pending", file_path: upload.filePath, byte_size: upload.byteSize, bytes_received: upload.byteSize })
      .where("id", "=", upload.id)
      .where("user_id", "=", upload.userId)
      .where("status", "=", "receiving")
      .returning("id")
      .executeTakeFirst();
    if (!row) return false;
    await enqueue(tx, "import_upload", { uploadId: upload.id }, { jobKey: `import:${upload.id}`, maxAttempts: 3 });
    return true;
  });
}
