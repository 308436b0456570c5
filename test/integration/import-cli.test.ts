import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportFixturesDir, writeTemp } from "../support/imports";
import { runLiner } from "../support/liner-process";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

describe("liner import FILE --user <spotify id>", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
    await t.db.insertInto("users").values({ spotify_id: "ann" }).execute();
  });
  afterAll(async () => t.drop());

  const endsong = path.join(exportFixturesDir, "extended-old/endsong_0.json");

  it("imports through the upload path, with a progress bar on stderr and a summary on stdout", () => {
    const r = runLiner(["import", endsong, "--user", "ann"], { DATABASE_URL: t.url });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Imported endsong_0\.json for ann: 8 entries — 6 new, 0 already there, 0 identical folded, 2 skipped \(2 no identifiable item\)\./);
    expect(r.stdout).toMatch(/extended-old\s+endsong_0\.json {2}8 entries/);
    expect(r.stderr).toMatch(/\[#+-*\]\s+\d+%/);
    expect(r.stderr).toMatch(/completed \[#{30}\] 100%/);
    // The person's own file stays where it was; the upload does not remember the path.
    expect(existsSync(endsong)).toBe(true);
  });

  it("records the upload like any other, and a second run adds nothing", async () => {
    const r = runLiner(["import", endsong, "--user", "ann"], { DATABASE_URL: t.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/8 entries — 0 new, 6 already there, 0 identical folded, 2 skipped/);
    const uploads = await t.db.selectFrom("upload_jobs").select(["status", "inserted", "duplicates", "file_path", "original_name"]).orderBy("created_at").execute();
    expect(uploads).toEqual([
      { status: "completed", inserted: 6, duplicates: 0, file_path: null, original_name: "endsong_0.json" },
      { status: "completed", inserted: 0, duplicates: 6, file_path: null, original_name: "endsong_0.json" },
    ]);
  });

  it("says what is wrong: unknown user, bad file, missing arguments", async () => {
    const unknown = runLiner(["import", endsong, "--user", "zed"], { DATABASE_URL: t.url });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no user with Spotify id "zed".*--create-user/);

    const created = runLiner(["import", path.join(exportFixturesDir, "basic-old/StreamingHistory1.json"), "--user", "zed", "--create-user"], { DATABASE_URL: t.url });
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/6 entries — 5 new, 0 already there, 0 identical folded, 1 skipped \(1 no identifiable item\)\./);

    const bad = runLiner(["import", await writeTemp("endsong_3.json", '[{"ts": "2024-01-01T00:00:00Z"'), "--user", "ann"], { DATABASE_URL: t.url });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/Import failed: .*endsong_3\.json: the file ends before its array does/);

    expect(runLiner(["import", "--user", "ann"], { DATABASE_URL: t.url }).code).toBe(2);
    expect(runLiner(["import", "/nonexistent.zip", "--user", "ann"], { DATABASE_URL: t.url }).stderr).toMatch(/not a readable file/);
  });
});
