import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { openEmbeddedPostgres, type EmbeddedPostgres } from "../../src/lib/db/embedded";
import { migrate } from "../../src/lib/db/migrations";
import { createPool } from "../../src/lib/db/pool";
import { ensureWebBuild } from "../../src/lib/web/build";
import { repoRoot } from "./liner-process";
import { databaseUrl } from "./database-url";

/**
 * One PostgreSQL for the whole run: TEST_DATABASE_URL's server when set, otherwise an embedded one
 * in a temporary folder. A template database is migrated once; each test file clones it.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Built once here: test files that start `liner serve` side by side must not build it at once.
  await ensureWebBuild(repoRoot, (line) => console.log(line));
  let embedded: EmbeddedPostgres | undefined;
  let dir: string | undefined;
  let adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) {
    dir = await mkdtemp(path.join(os.tmpdir(), "liner-test-pg-"));
    embedded = await openEmbeddedPostgres({ dir, database: "postgres" });
    adminUrl = embedded.url;
  }
  const template = `liner_template_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`drop database if exists ${template}`);
  await admin.query(`create database ${template}`);
  const pool = createPool(databaseUrl(adminUrl, template), 2);
  try {
    await migrate(pool);
  } finally {
    await pool.end();
  }
  project.provide("adminDatabaseUrl", adminUrl);
  project.provide("templateDatabase", template);

  return async () => {
    await admin.query(`drop database if exists ${template} with (force)`).catch(() => undefined);
    await admin.end();
    await embedded?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  };
}
