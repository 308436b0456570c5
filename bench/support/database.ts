import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { openEmbeddedPostgres, type EmbeddedPostgres } from "../../src/lib/db/embedded";
import { migrate } from "../../src/lib/db/migrations";

export interface BenchServer {
  /** Creates a fresh, migrated database and returns its URL. */
  freshDatabase(name: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * Where benchmarks put their data: TEST_DATABASE_URL or DATABASE_URL (a server where databases may
 * be created), else an embedded PostgreSQL in a temporary folder, removed afterwards.
 */
export async function openBenchServer(): Promise<BenchServer> {
  let embedded: EmbeddedPostgres | undefined;
  let dir: string | undefined;
  let server = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  if (!server) {
    process.stderr.write("starting an embedded PostgreSQL…\n");
    dir = await mkdtemp(path.join(os.tmpdir(), "liner-bench-pg-"));
    embedded = await openEmbeddedPostgres({ dir, database: "postgres" });
    server = embedded.url;
  }
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  const created: string[] = [];
  return {
    async freshDatabase(name) {
      const db = `${name}_${process.pid}_${created.length}`;
      await admin.query(`drop database if exists ${db}`);
      await admin.query(`create database ${db}`);
      created.push(db);
      const u = new URL(server);
      u.pathname = `/${db}`;
      const pool = new pg.Pool({ connectionString: u.toString(), max: 2 });
      pool.on("error", () => undefined);
      try {
        await migrate(pool);
      } finally {
        await pool.end();
      }
      return u.toString();
    },
    async close() {
      for (const db of created) await admin.query(`drop database if exists ${db} with (force)`).catch(() => undefined);
      await admin.end();
      await embedded?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Prints rows as an aligned table on stdout. */
export function printTable(rows: Array<Record<string, string | number>>): void {
  const cols = Object.keys(rows[0] ?? {});
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(width[i]!)).join("  ");
  console.log(line(cols));
  console.log(line(width.map((w) => "-".repeat(w))));
  for (const r of rows) console.log(line(cols.map((c) => String(r[c]))));
}
