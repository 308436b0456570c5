import os from "node:os";
import { readdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import type { Kysely } from "kysely";
import type { Database } from "../db/schema";

/**
 * A file being received is named `<host>.<pid>.<uuid>.upload`: whoever finds it later can tell
 * whether the process that wrote it is still alive (on this host), or else how long it lay still.
 */
export function receivingFileName(id: string): string {
  return `${os.hostname().replace(/[^A-Za-z0-9-]/g, "_")}.${process.pid}.${id}.upload`;
}

/** A partial file from another host is left alone this long after its last write (the body limit is 2 h). */
export const FOREIGN_IDLE_MS = 3 * 3_600_000;

function writerIsGone(name: string): boolean | null {
  const m = /^(.+)\.(\d+)\.[0-9a-f-]{36}\.upload$/.exec(name);
  if (!m || m[1] !== os.hostname().replace(/[^A-Za-z0-9-]/g, "_")) return null;
  try {
    process.kill(Number(m[2]), 0);
    return false;
  } catch (err) {
    // EPERM: alive, another user's. ESRCH: gone.
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/**
 * Removes upload files nobody will import: those no upload row names, whose writer (a web process
 * on this host) is gone, or — from another host, or named the old way — untouched for three hours.
 * Run when `liner serve` starts and on the schedule's tick. Returns the files removed.
 */
export async function sweepPartialUploads(db: Kysely<Database>, dir: string, now = Date.now()): Promise<string[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith(".upload"));
  } catch {
    return [];
  }
  if (names.length === 0) return [];
  const referenced = new Set(
    (await db.selectFrom("upload_jobs").select("file_path").where("file_path", "in", names.map((n) => path.join(dir, n))).execute()).map((r) => r.file_path),
  );
  const removed: string[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    if (referenced.has(file)) continue;
    const gone = writerIsGone(name);
    const idle = await stat(file).then((s) => now - s.mtimeMs, () => null);
    if (idle === null) continue;
    if (gone === true || (gone === null && idle > FOREIGN_IDLE_MS)) {
      await rm(file, { force: true });
      removed.push(name);
    }
  }
  return removed;
}
