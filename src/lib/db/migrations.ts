import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import type pg from "pg";
import { runMigrations as runWorkerMigrations, Logger } from "graphile-worker";
import { migrationsDir } from "../util/paths";

export interface MigrationFile {
  id: number;
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrationStatus {
  applied: string[];
  pending: string[];
  /** Applied migrations whose file has changed since: a forward-only rule was broken. */
  edited: string[];
}

// One number for every Liner process: whoever holds it migrates, the others wait and find nothing to do.
const MIGRATION_LOCK = 7_153_010_001;
const FILE_PATTERN = /^(\d{4})_[a-z0-9_]+\.sql$/;

export async function readMigrationFiles(dir = migrationsDir()): Promise<MigrationFile[]> {
  const names = (await readdir(dir)).filter((n) => FILE_PATTERN.test(n)).sort();
  const files: MigrationFile[] = [];
  for (const name of names) {
    const sql = await readFile(path.join(dir, name), "utf8");
    files.push({
      id: Number(FILE_PATTERN.exec(name)![1]),
      name,
      sql,
      checksum: createHash("sha256").update(sql).digest("hex"),
    });
  }
  const ids = new Set<number>();
  for (const f of files) {
    if (ids.has(f.id)) throw new Error(`Two migrations share the number ${f.id}: renumber one of them.`);
    ids.add(f.id);
  }
  return files;
}

async function appliedMigrations(client: pg.ClientBase): Promise<Map<string, string>> {
  const exists = await client.query<{ t: string | null }>(
    "select to_regclass('public.liner_migrations')::text as t",
  );
  if (!exists.rows[0]?.t) return new Map();
  const { rows } = await client.query<{ name: string; checksum: string }>(
    "select name, checksum from liner_migrations order by id",
  );
  return new Map(rows.map((r) => [r.name, r.checksum]));
}

function compare(files: MigrationFile[], applied: Map<string, string>): MigrationStatus {
  return {
    applied: [...applied.keys()],
    pending: files.filter((f) => !applied.has(f.name)).map((f) => f.name),
    edited: files.filter((f) => applied.has(f.name) && applied.get(f.name) !== f.checksum).map((f) => f.name),
  };
}

export async function migrationStatus(pool: pg.Pool, dir?: string): Promise<MigrationStatus> {
  const files = await readMigrationFiles(dir);
  const client = await pool.connect();
  try {
    return compare(files, await appliedMigrations(client));
  } finally {
    client.release();
  }
}

const quietLogger = new Logger(() => () => undefined);

/**
 * Applies pending migrations in order, each in its own transaction, then graphile-worker's own
 * schema. Safe when several processes start at once: they queue on one advisory lock.
 */
export async function migrate(pool: pg.Pool, dir?: string): Promise<{ applied: string[] }> {
  const files = await readMigrationFiles(dir);
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK]);
    await client.query(`create table if not exists liner_migrations (
      id integer primary key,
      name text not null unique,
      checksum text not null,
      applied_at timestamptz not null default now()
    )`);
    const status = compare(files, await appliedMigrations(client));
    if (status.edited.length > 0) {
      throw new Error(
        `Migration ${status.edited.join(", ")} changed after it was applied. Migrations are forward-only: ` +
          "restore the file and put the change in a new numbered migration.",
      );
    }
    for (const file of files.filter((f) => status.pending.includes(f.name))) {
      try {
        await client.query("begin");
        await client.query(file.sql);
        await client.query("insert into liner_migrations (id, name, checksum) values ($1, $2, $3)", [
          file.id,
          file.name,
          file.checksum,
        ]);
        await client.query("commit");
        applied.push(file.name);
      } catch (err) {
        await client.query("rollback");
        throw new Error(`Migration ${file.name} failed: ${(err as Error).message}`);
      }
    }
    await runWorkerMigrations({ pgPool: pool, logger: quietLogger });
  } finally {
    await client.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK]).catch(() => undefined);
    client.release();
  }
  return { applied };
}
