/**
 * `npm run bench:import`: how fast and how lean the importer is. Generates an Extended Streaming
 * History of 300,000 entries in ~12 MB files and an account-data export of 50,000, zipped as Spotify
 * sends them, and imports each through the upload path (createUpload, then runImport — what the
 * worker's task runs) into a fresh database. Each import runs in its own child process so that its
 * peak RSS is the importer's alone. Prints a table and writes bench/results/import.json.
 *
 * Database: TEST_DATABASE_URL or DATABASE_URL (a server where a database may be created), else an
 * embedded PostgreSQL in a temporary folder. BENCH_PHASES=1 prints when each phase ends.
 */
import { spawn } from "node:child_process";
import { copyFile, mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { loadConfig } from "../src/lib/config/env";
import { loadEnvFileOrExit } from "../src/lib/config/env-file";
import { openEmbeddedPostgres, type EmbeddedPostgres } from "../src/lib/db/embedded";
import { migrate } from "../src/lib/db/migrations";
import { closeDb, createDb, createPool } from "../src/lib/db/pool";
import { poolDatabase, runImport } from "../src/lib/imports/run-import";
import { createUpload, importLimits } from "../src/lib/imports/uploads";
import { generateExport, writeExportZip } from "../test/spotify-sim/exports";

// Before anything reads the environment: the same .env file `liner` reads (the environment wins).
loadEnvFileOrExit();

const root = path.resolve(import.meta.dirname, "..");

interface ChildResult {
  status: string;
  /** Reading, parsing and COPY into staging; the rest is the one INSERT and the commit. */
  read_seconds: number;
  entries: number;
  inserted: number;
  seconds: number;
  peak_rss_mb: number;
  error?: string;
}

/** The child: one import, timed, reporting its own peak RSS. */
async function child(url: string, uploadId: string): Promise<void> {
  const pool = createPool(url, 3);
  const started = process.hrtime.bigint();
  let readSeconds = 0;
  const r = await runImport(poolDatabase(pool), uploadId, {
    limits: importLimits(loadConfig({})),
    removeFile: true,
    log: { debug() {}, info() {}, warn() {}, error() {} },
    onProgress: (p) => {
      if (p.phase === "saving") readSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (p.phase !== "reading" && process.env.BENCH_PHASES) {
        process.stderr.write(`  ${p.phase} at ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(2)} s, rss ${Math.round(process.memoryUsage().rss / 1048576)} MB\n`);
      }
    },
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await pool.end();
  const result: ChildResult = {
    status: r.status,
    read_seconds: readSeconds,
    entries: r.entries,
    inserted: r.inserted,
    seconds,
    // maxRSS is in kilobytes on Linux.
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    error: r.error,
  };
  process.stdout.write(JSON.stringify(result));
}

function runChild(url: string, uploadId: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ["--import", "tsx", path.join(root, "bench", "import.ts"), "--child", url, uploadId], {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.on("error", reject);
    p.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out) as ChildResult) : reject(new Error(`import child exited ${code}`))));
  });
}

function summary(r: ChildResult & { entries_per_s: number; zip_mb: number; files: number }) {
  return {
    entries: r.entries,
    seconds: r.seconds,
    peak_rss_mb: r.peak_rss_mb,
    entries_per_s: r.entries_per_s,
    read_seconds: r.read_seconds,
    insert_seconds: Math.round((r.seconds - r.read_seconds) * 100) / 100,
    files: r.files,
    zip_mb: r.zip_mb,
  };
}

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(os.tmpdir(), "liner-bench-"));
  let embedded: EmbeddedPostgres | undefined;
  let pgDir: string | undefined;
  let server = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  const admin: { client?: pg.Client } = {};
  const dbName = `liner_bench_${process.pid}`;
  try {
    if (!server) {
      process.stderr.write("starting an embedded PostgreSQL…\n");
      pgDir = await mkdtemp(path.join(os.tmpdir(), "liner-bench-pg-"));
      embedded = await openEmbeddedPostgres({ dir: pgDir, database: "postgres" });
      server = embedded.url;
    }
    admin.client = new pg.Client({ connectionString: server });
    await admin.client.connect();
    await admin.client.query(`create database ${dbName}`);
    const u = new URL(server);
    u.pathname = `/${dbName}`;
    const url = u.toString();
    const pool = createPool(url, 3);
    const db = createDb(pool);
    await migrate(pool);
    const { id: userId } = await db.insertInto("users").values({ spotify_id: "bench" }).returning("id").executeTakeFirstOrThrow();

    const cases = [
      { key: "extended", format: "extended-new" as const, entries: 300_000 },
      { key: "basic", format: "basic" as const, entries: 50_000 },
    ];
    const results: Record<string, ChildResult & { entries_per_s: number; zip_mb: number; files: number }> = {};
    for (const c of cases) {
      process.stderr.write(`generating ${c.entries} ${c.format} entries…\n`);
      const zip = path.join(work, `${c.key}.zip`);
      const members = await writeExportZip(generateExport({ format: c.format, entries: c.entries, seed: `bench-${c.key}` }), zip, {
        format: c.format,
        maxFileBytes: 12 * 1024 * 1024,
      });
      const zipBytes = (await stat(zip)).size;
      // The upload path: the file waits in the uploads folder, createUpload records it and its job.
      const uploads = path.join(work, "uploads");
      await mkdir(uploads, { recursive: true });
      const filePath = path.join(uploads, `${c.key}.upload`);
      await copyFile(zip, filePath);
      const uploadId = await createUpload(db, { userId, filePath, originalName: "my_spotify_data.zip", byteSize: zipBytes });
      // The worker would take it from here; the child process plays the worker.
      await pool.query("delete from graphile_worker._private_jobs");
      process.stderr.write(`importing ${c.key} (${members.length} files, ${(zipBytes / 1024 / 1024).toFixed(1)} MB zipped)…\n`);
      const r = await runChild(url, uploadId);
      if (r.status !== "completed") throw new Error(`${c.key} import ${r.status}: ${r.error}`);
      results[c.key] = {
        ...r,
        seconds: Math.round(r.seconds * 100) / 100,
        read_seconds: Math.round(r.read_seconds * 100) / 100,
        entries_per_s: Math.round(r.entries / r.seconds),
        zip_mb: Math.round((zipBytes / 1024 / 1024) * 10) / 10,
        files: members.length,
      };
    }
    await closeDb(db, pool);

    const rows = Object.entries(results).map(([k, r]) => [
      k,
      String(r.entries),
      r.seconds.toFixed(2),
      r.read_seconds.toFixed(2),
      (r.seconds - r.read_seconds).toFixed(2),
      String(r.entries_per_s),
      String(r.peak_rss_mb),
    ]);
    const header = ["import", "entries", "seconds", "read+COPY s", "INSERT s", "entries/s", "peak RSS MB"];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
    console.log(line(header));
    console.log(widths.map((w) => "-".repeat(w)).join("  "));
    for (const r of rows) console.log(line(r));

    const out = {
      extended: summary(results.extended!),
      basic: summary(results.basic!),
      goal: { extended_seconds_max: 15, peak_rss_mb_max: 300 },
      machine: { cpus: os.cpus().length, node: process.version, database: embedded ? "embedded" : "external" },
      measured_at: new Date().toISOString(),
    };
    await mkdir(path.join(root, "bench", "results"), { recursive: true });
    await writeFile(path.join(root, "bench", "results", "import.json"), `${JSON.stringify(out, null, 2)}\n`);
  } finally {
    await admin.client?.query(`drop database if exists ${dbName} with (force)`).catch(() => undefined);
    await admin.client?.end().catch(() => undefined);
    await embedded?.stop();
    await rm(work, { recursive: true, force: true });
    if (pgDir) await rm(pgDir, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--child") {
  child(process.argv[3]!, process.argv[4]!).catch((err: Error) => {
    console.error(err.stack);
    process.exit(1);
  });
} else {
  main().catch((err: Error) => {
    console.error(err.stack);
    process.exit(1);
  });
}
