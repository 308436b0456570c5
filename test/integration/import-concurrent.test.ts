import { copyFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolDatabase, runImport } from "../../src/lib/imports/run-import";
import { createUpload } from "../../src/lib/imports/uploads";
import { writeExportZip, generateExport } from "../spotify-sim/exports";
import { defaultLimits, scratchDir } from "../support/imports";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

describe("the same export imported twice at once", () => {
  let t: TestDatabase;
  let userId: string;
  let zip: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    userId = (await t.db.insertInto("users").values({ spotify_id: "twice" }).returning("id").executeTakeFirstOrThrow()).id;
    zip = path.join(await scratchDir(), "twice.zip");
    await writeExportZip(generateExport({ seed: "twice", format: "extended-new", entries: 3000 }), zip, { format: "extended-new" });
  });
  afterAll(async () => t.drop());

  async function upload(): Promise<string> {
    const filePath = path.join(await scratchDir(), `${Math.random().toString(36).slice(2)}.upload`);
    await copyFile(zip, filePath);
    return createUpload(t.db, { userId, filePath, originalName: "my_spotify_data.zip", byteSize: 0 });
  }

  it("gives one 'N new' and one 'all already there', each counted against what the other committed", async () => {
    const [a, b] = [await upload(), await upload()];
    const opts = { limits: defaultLimits, removeFile: true, log: quiet, progressEveryMs: 10 };
    const results = await Promise.all([runImport(poolDatabase(t.pool), a, opts), runImport(poolDatabase(t.pool), b, opts)]);
    expect(results.map((r) => r.status)).toEqual(["completed", "completed"]);
    const total = Number((await t.pool.query("select count(*)::int as n from listens where user_id = $1", [userId])).rows[0].n);
    const byNew = [...results].sort((x, y) => y.inserted - x.inserted);
    expect(byNew[0]!.inserted).toBe(total);
    expect(total).toBeGreaterThan(0);
    expect(byNew[1]).toMatchObject({ inserted: 0, duplicates: byNew[0]!.inserted });
    // The rows say the same as the results.
    const rows = await t.db.selectFrom("upload_jobs").select(["id", "inserted", "duplicates"]).where("user_id", "=", userId).execute();
    for (const r of results) expect(rows.find((x) => x.id === r.uploadId)).toMatchObject({ inserted: r.inserted, duplicates: r.duplicates });
  });

  it("counts right even where the server's default isolation is repeatable read", async () => {
    await t.pool.query("delete from listens where user_id = $1", [userId]);
    const [a, b] = [await upload(), await upload()];
    const pool = new pg.Pool({ connectionString: t.url, options: "-c default_transaction_isolation=repeatable\\ read" });
    pool.on("error", () => undefined);
    try {
      const opts = { limits: defaultLimits, removeFile: true, log: quiet, progressEveryMs: 10 };
      const results = await Promise.all([runImport(poolDatabase(pool), a, opts), runImport(poolDatabase(pool), b, opts)]);
      expect(results.map((r) => r.error ?? r.status)).toEqual(["completed", "completed"]);
      const inserted = results.map((r) => r.inserted).sort((x, y) => y - x);
      expect(inserted[0]).toBeGreaterThan(0);
      expect(inserted[1]).toBe(0);
    } finally {
      await pool.end();
    }
  });
});
