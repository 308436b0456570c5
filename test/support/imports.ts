import { copyFile, mkdtemp, writeFile } from "node:fs/promises";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import os from "node:os";
import path from "node:path";
import yazl from "yazl";
import { loadConfig } from "../../src/lib/config/env";
import { poolDatabase, runImport, type ImportResult } from "../../src/lib/imports/run-import";
import { createUpload, importLimits } from "../../src/lib/imports/uploads";
import type { ZipLimits } from "../../src/lib/imports/zip-reader";
import { repoRoot } from "./liner-process";
import type { TestDatabase } from "./test-database";

/** Small exports made for the tests (test/fixtures/exports/README.md), each with its expected.json. */
export const exportFixturesDir = path.resolve(repoRoot, "test/fixtures/exports");

export const defaultLimits: ZipLimits = importLimits(loadConfig({}));

let scratch: string | undefined;
export async function scratchDir(): Promise<string> {
  return (scratch ??= await mkdtemp(path.join(os.tmpdir(), "liner-import-test-")));
}

/**
 * A zip with the given members (name → content), written to a new file. `compress: false` stores
 * members uncompressed; a function chooses per member (as `zip -r` stores what deflate cannot shrink).
 */
export async function makeZip(
  members: Record<string, string | Buffer>,
  opts: { compress?: boolean | ((name: string) => boolean) } = {},
): Promise<string> {
  const file = path.join(await scratchDir(), `zip-${Math.random().toString(36).slice(2)}.zip`);
  const zip = new yazl.ZipFile();
  for (const [name, content] of Object.entries(members)) {
    zip.addBuffer(Buffer.isBuffer(content) ? content : Buffer.from(content), name, {
      compress: typeof opts.compress === "function" ? opts.compress(name) : (opts.compress ?? true),
    });
  }
  zip.end();
  const out = createWriteStream(file);
  zip.outputStream.pipe(out);
  await once(out, "close");
  return file;
}

export async function writeTemp(name: string, content: string | Buffer): Promise<string> {
  const file = path.join(await scratchDir(), `${Math.random().toString(36).slice(2)}-${name}`);
  await writeFile(file, content);
  return file;
}

/**
 * Imports a file the way an upload does: copied to a temporary file, recorded with its job by
 * createUpload, then runImport (what the worker's task calls). Returns the result and upload id.
 */
export async function importAsUpload(
  t: TestDatabase,
  userId: string,
  source: string,
  opts: { name?: string; limits?: ZipLimits; progressEveryMs?: number } = {},
): Promise<ImportResult & { filePath: string }> {
  const filePath = path.join(await scratchDir(), `${Math.random().toString(36).slice(2)}.upload`);
  await copyFile(source, filePath);
  const uploadId = await createUpload(t.db, {
    userId,
    filePath,
    originalName: opts.name ?? path.basename(source),
    byteSize: 0,
  });
  const result = await runImport(poolDatabase(t.pool), uploadId, {
    limits: opts.limits ?? defaultLimits,
    removeFile: true,
    progressEveryMs: opts.progressEveryMs,
    log: { debug() {}, info() {}, warn() {}, error() {} },
  });
  return { ...result, filePath };
}
