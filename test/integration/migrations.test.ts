import { cp, mkdtemp, readdir, rm, writeFile, appendFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate, migrationStatus, readMigrationFiles } from "../../src/lib/db/migrations";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

describe("migrations on an empty database", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase({ migrated: false });
  });
  afterAll(() => t.drop());

  it("apply every file once, even when two processes start at the same moment", async () => {
    const files = await readMigrationFiles();
    expect(files.length).toBeGreaterThan(0);
    expect((await migrationStatus(t.pool)).pending).toEqual(files.map((f) => f.name));

    const [a, b] = await Promise.all([migrate(t.pool), migrate(t.pool)]);
    expect([...a.applied, ...b.applied].sort()).toEqual(files.map((f) => f.name));
    const status = await migrationStatus(t.pool);
    expect(status).toEqual({ applied: files.map((f) => f.name), pending: [], edited: [] });
    const { rows } = await t.pool.query("select count(*)::int as n from liner_migrations");
    expect(rows[0].n).toBe(files.length);
    // graphile-worker's own schema comes with it.
    const jobs = await t.pool.query("select to_regclass('graphile_worker.jobs')::text as t");
    expect(jobs.rows[0].t).toBe("graphile_worker.jobs");
    expect((await migrate(t.pool)).applied).toEqual([]);
  });
});

describe("forward-only rule", () => {
  let t: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    t = await createTestDatabase();
    dir = await mkdtemp(path.join(os.tmpdir(), "liner-migrations-"));
    await cp(path.resolve("migrations"), dir, { recursive: true });
  });
  afterAll(async () => {
    await t.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses to run when an applied migration was edited, naming it", async () => {
    const [first] = (await readdir(dir)).sort();
    await appendFile(path.join(dir, first!), "\n-- an edit\n");
    expect((await migrationStatus(t.pool, dir)).edited).toEqual([first]);
    await expect(migrate(t.pool, dir)).rejects.toThrow(new RegExp(`${first} changed after it was applied`));
  });

  it("applies a new numbered file, and rolls back a failing one whole", async () => {
    await cp(path.resolve("migrations"), dir, { recursive: true, force: true });
    await writeFile(path.join(dir, "9998_add_thing.sql"), "create table thing (id int primary key);");
    await writeFile(path.join(dir, "9999_broken.sql"), "create table other (id int); select 1/0;");
    await expect(migrate(t.pool, dir)).rejects.toThrow(/9999_broken\.sql failed: division by zero/);
    const status = await migrationStatus(t.pool, dir);
    expect(status.pending).toEqual(["9999_broken.sql"]);
    const other = await t.pool.query("select to_regclass('public.other')::text as t");
    expect(other.rows[0].t).toBeNull();
  });
});

describe("schema", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t.drop());

  it("has every table the design names", async () => {
    const { rows } = await t.pool.query<{ table_name: string }>(
      "select table_name from information_schema.tables where table_schema = 'public' order by 1",
    );
    expect(rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining([
        "users", "sessions", "spotify_tokens", "upload_jobs", "listens", "tracks", "albums", "artists",
        "track_artists", "track_lookups", "enrichment_runs", "worker_heartbeats", "app_state",
      ]),
    );
  });

  it("keeps a listen once per user, whatever re-imports it", async () => {
    const user = await t.db.insertInto("users").values({ spotify_id: "u1" }).returning("id").executeTakeFirstOrThrow();
    const other = await t.db.insertInto("users").values({ spotify_id: "u2" }).returning("id").executeTakeFirstOrThrow();
    const listen = (userId: string) => ({
      user_id: userId,
      played_at: new Date("2024-01-01T10:00:00Z"),
      ms_played: 1000,
      kind: "track" as const,
      dedupe_key: Buffer.from("same-listen"),
    });
    const first = await t.db.insertInto("listens").values(listen(user.id)).onConflict((oc) => oc.doNothing()).execute();
    const again = await t.db.insertInto("listens").values(listen(user.id)).onConflict((oc) => oc.doNothing()).execute();
    const otherUser = await t.db.insertInto("listens").values(listen(other.id)).onConflict((oc) => oc.doNothing()).execute();
    expect(first[0]!.numInsertedOrUpdatedRows).toBe(1n);
    expect(again[0]!.numInsertedOrUpdatedRows).toBe(0n);
    expect(otherUser[0]!.numInsertedOrUpdatedRows).toBe(1n);
  });

  it("plans pending-work queries on the partial index", async () => {
    await t.pool.query("set enable_seqscan = off");
    const { rows } = await sql<{ "QUERY PLAN": string }>`
      explain select id from listens
       where enrichment_status = 'pending' and kind = 'track' and user_id = 1
       order by played_at limit 50`.execute(t.db);
    expect(rows.map((r) => r["QUERY PLAN"]).join("\n")).toContain("listens_pending_idx");
  });

  it("deletes a person's data with them", async () => {
    const u = await t.db.insertInto("users").values({ spotify_id: "gone" }).returning("id").executeTakeFirstOrThrow();
    await t.db.insertInto("upload_jobs").values({ user_id: u.id }).execute();
    await t.db.insertInto("enrichment_runs").values({ user_id: u.id, trigger: "manual" }).execute();
    await t.db.deleteFrom("users").where("id", "=", u.id).execute();
    const left = await t.pool.query(
      "select (select count(*) from upload_jobs where user_id = $1) + (select count(*) from enrichment_runs where user_id = $1) as n",
      [u.id],
    );
    expect(Number(left.rows[0].n)).toBe(0);
  });
});
