import { rm } from "node:fs/promises";
import type pg from "pg";
import { createLog, type Log } from "../util/log";
import { ImportInputError } from "./errors";
import { onImportCompleted } from "./hooks";
import type { SkipReason } from "./listen";
import { createStagingTable, insertStaged, StagingWriter } from "./load";
import { readHistory, type FileReport, type ReadProgress } from "./read-history";
import { openUploadFile } from "./upload-file";
import type { ZipLimits } from "./zip-reader";

/** The two things an import needs from PostgreSQL: one client for its transaction, and queries apart from it. */
export interface ImportDatabase {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  withClient<T>(fn: (client: pg.ClientBase) => Promise<T>): Promise<T>;
}

export function poolDatabase(pool: pg.Pool): ImportDatabase {
  return {
    query: (text, values) => pool.query(text, values),
    withClient: async (fn) => {
      const client = await pool.connect();
      try {
        return await fn(client);
      } finally {
        client.release();
      }
    },
  };
}

export interface ImportProgress {
  phase: "reading" | "saving" | "completed" | "failed";
  bytesProcessed: number;
  bytesTotal: number;
  entries: number;
  skipped: number;
}

export interface ImportOptions {
  limits: ZipLimits;
  /** Remove the file when the import ends (uploads: yes; `liner import` of a person's own file: no). */
  removeFile: boolean;
  /**
   * False while the job will be retried: an internal error (database gone) then leaves the upload
   * pending with its file, rather than failing it.
   */
  finalAttempt?: boolean;
  onProgress?: (p: ImportProgress) => void;
  /** How often progress is written to upload_jobs while reading (ms). */
  progressEveryMs?: number;
  log?: Log;
}

export interface ImportResult {
  status: "completed" | "failed" | "not-pending";
  uploadId: string;
  entries: number;
  inserted: number;
  duplicates: number;
  upgraded: number;
  /** Rows that were the same play as another row of the upload (see load.ts), kept once. */
  identicalFolded: number;
  skipped: number;
  skippedReasons: Partial<Record<SkipReason, number>>;
  /** Entries kept with a name cut to NAME_MAX_CHARS. */
  namesCapped: number;
  files: FileReport[];
  error?: string;
}

/**
 * Imports one upload: reads the file (zip or JSON) streaming, stages every listen with COPY and
 * moves them into `listens` in one transaction, then marks the upload completed in that same
 * transaction. Bad input fails the upload with a message naming the file; nothing of it is kept.
 * The worker's `import_upload` task, `liner import` and the benchmark all come through here.
 */
export async function runImport(db: ImportDatabase, uploadId: string, opts: ImportOptions): Promise<ImportResult> {
  const log = opts.log ?? createLog("import");
  const claimed = await db.query(
    `update upload_jobs set status = 'processing', started_at = now(), finished_at = null, error = null,
            entries_processed = 0, skipped = 0, skipped_reasons = '{}', bytes_processed = 0, names_capped = 0, identical_folded = 0
     where id = $1 and status in ('pending', 'processing')
     returning user_id::text as user_id, file_path, coalesce(original_name, 'the uploaded file') as name`,
    [uploadId],
  );
  const empty = { uploadId, entries: 0, inserted: 0, duplicates: 0, upgraded: 0, identicalFolded: 0, skipped: 0, skippedReasons: {}, namesCapped: 0, files: [] };
  const row = claimed.rows[0] as { user_id: string; file_path: string | null; name: string } | undefined;
  if (!row) return { ...empty, status: "not-pending" };
  const { user_id: userId, name } = row;
  const filePath = row.file_path;

  let read: ReadProgress | undefined;
  let bytesTotal = 0;
  const report = (phase: ImportProgress["phase"]) =>
    opts.onProgress?.({
      phase,
      bytesProcessed: read?.bytes ?? 0,
      bytesTotal,
      entries: read?.entries ?? 0,
      skipped: read?.skipped ?? 0,
    });

  // Live progress goes through its own connection: the import's transaction is invisible until it commits.
  let lastWrite = 0;
  let writing: Promise<unknown> | undefined;
  const writeProgress = (p: ReadProgress, force = false) => {
    const now = Date.now();
    if (!force && (writing || now - lastWrite < (opts.progressEveryMs ?? 1000))) return;
    lastWrite = now;
    writing = db
      .query(
        `update upload_jobs set entries_processed = $2, skipped = $3, skipped_reasons = $4, files = $5, bytes_processed = $6,
                names_capped = $7
         where id = $1 and status = 'processing'`,
        [uploadId, p.entries, p.skipped, JSON.stringify(p.skippedReasons), JSON.stringify(p.files), p.bytes, p.namesCapped],
      )
      .catch((err: Error) => log.warn(`progress of upload ${uploadId} not recorded: ${err.message}`))
      .finally(() => (writing = undefined));
  };

  try {
    if (filePath === null) throw new ImportInputError(`${name} is no longer on the server; upload it again.`);
    const upload = await openUploadFile(filePath, name, opts.limits).catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") throw new ImportInputError(`${name} is no longer on the server; upload it again.`);
      throw err;
    });
    try {
      bytesTotal = upload.members.reduce((n, m) => n + m.size, 0);
      await db.query("update upload_jobs set bytes_total = $2 where id = $1", [uploadId, bytesTotal]);
      report("reading");
      const result = await db.withClient(async (client) => {
        // Read committed, whatever the server's default: each statement after the lock below must
        // see what an import of this person that held it before committed, or both would count the
        // same listens as new (and the progress written beside it would fail a repeatable-read commit).
        await client.query("begin isolation level read committed");
        let writer: StagingWriter | undefined;
        try {
          // One import at a time per person: two overlapping uploads would otherwise insert the same
          // keys from two transactions, each waiting on the other.
          await client.query("select pg_advisory_xact_lock(hashtext('liner:import'), hashtext($1))", [userId]);
          await createStagingTable(client);
          writer = new StagingWriter(client);
          read = await readHistory(upload.members, {
            uploadName: name,
            single: upload.kind === "json",
            sink: writer,
            onProgress: (p) => {
              read = p;
              report("reading");
              writeProgress(p);
            },
          });
          await writer.finish();
          // Everything is read: say so before the INSERT, which can take a while on large uploads.
          await writing;
          writeProgress(read, true);
          await writing;
          report("saving");
          const { inserted, upgraded, folded } = await insertStaged(client, userId, uploadId);
          // Every entry is one of: inserted, duplicate, folded into another, skipped.
          const duplicates = writer.rows - inserted - folded;
          await client.query(
            `update upload_jobs set status = 'completed', finished_at = now(), entries_total = $2, entries_processed = $2,
                    inserted = $3, duplicates = $4, upgraded = $5, skipped = $6, skipped_reasons = $7, files = $8,
                    names_capped = $9, identical_folded = $10,
                    bytes_processed = bytes_total, error = null${opts.removeFile ? ", file_path = null" : ""}
             where id = $1`,
            [
              uploadId, read.entries, inserted, duplicates, upgraded, read.skipped, JSON.stringify(read.skippedReasons),
              JSON.stringify(read.files), read.namesCapped, folded,
            ],
          );
          await onImportCompleted(client, { userId, uploadId, inserted, upgraded });
          await client.query("commit");
          return { inserted, duplicates, upgraded, identicalFolded: folded };
        } catch (err) {
          writer?.abort();
          await client.query("rollback").catch(() => undefined);
          throw err;
        }
      });
      report("completed");
      log.info(
        `upload ${uploadId}: ${read!.entries} entries, ${result.inserted} new, ${result.duplicates} duplicates, ` +
          `${result.identicalFolded} identical folded, ${read!.skipped} skipped, ${read!.namesCapped} with names capped`,
      );
      // Its path was cleared with the completion; a removal that fails here only leaves a stray file.
      if (opts.removeFile) await rm(filePath, { force: true }).catch((err: Error) => log.warn(`${filePath} not removed: ${err.message}`));
      return {
        status: "completed",
        uploadId,
        entries: read!.entries,
        ...result,
        skipped: read!.skipped,
        skippedReasons: read!.skippedReasons,
        namesCapped: read!.namesCapped,
        files: read!.files,
      };
    } finally {
      upload.close();
    }
  } catch (err) {
    await writing;
    const input = err instanceof ImportInputError;
    if (!input && opts.finalAttempt === false) {
      log.warn(`upload ${uploadId}: ${(err as Error).message}; will retry`);
      await db
        .query("update upload_jobs set status = 'pending', error = $2 where id = $1", [uploadId, `Retrying after: ${(err as Error).message}`])
        .catch(() => undefined);
      throw err;
    }
    const message = input
      ? (err as Error).message
      : `Liner could not import ${name} because of an internal error (${(err as Error).message}). Try again later.`;
    log[input ? "info" : "error"](`upload ${uploadId} failed: ${message}`);
    await db.query(
      `update upload_jobs set status = 'failed', finished_at = now(), error = $2, inserted = 0, duplicates = 0, upgraded = 0,
              identical_folded = 0
       where id = $1`,
      [uploadId, message],
    );
    report("failed");
    if (filePath !== null) await finishFile(db, uploadId, filePath, opts.removeFile);
    return { ...empty, status: "failed", error: message, files: read?.files ?? [] };
  }
}

async function finishFile(db: ImportDatabase, uploadId: string, filePath: string, remove: boolean): Promise<void> {
  if (!remove) return;
  await rm(filePath, { force: true });
  await db.query("update upload_jobs set file_path = null where id = $1", [uploadId]);
}
