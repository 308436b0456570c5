import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as list } from "../../src/app/api/uploads/route";
import * as tusRoute from "../../src/app/api/uploads/tus/[[...path]]/route";
import { closeAppDb } from "../../src/lib/db/app-db";
import { loadConfig } from "../../src/lib/config/env";
import { poolDatabase, runImport } from "../../src/lib/imports/run-import";
import { sweepTusUploads, tusDir } from "../../src/lib/imports/tus";
import { createUpload } from "../../src/lib/imports/uploads";
import { defaultLimits, exportFixturesDir, makeZip } from "../support/imports";
import { APP_URL, call, peopleWithSessions, type Handler } from "../support/routes";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

const LIMIT = 2 * 1024 * 1024;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const TUS = "/api/uploads/tus";

describe("GET /api/uploads and resumable uploads at /api/uploads/tus", () => {
  let t: TestDatabase;
  let dataDir: string;
  const people: Record<"ann" | "bob", { id: string; cookie: string }> = {} as never;

  beforeAll(async () => {
    t = await createTestDatabase();
    dataDir = await mkdtemp(path.join(os.tmpdir(), "liner-upload-list-test-"));
    Object.assign(process.env, { DATABASE_URL: t.url, APP_URL, LINER_DATA_DIR: dataDir, UPLOAD_MAX_BYTES: String(LIMIT) });
    await closeAppDb();
    Object.assign(people, await peopleWithSessions(t, ["ann", "bob"] as const));
  });
  afterAll(async () => {
    await closeAppDb();
    await t.drop();
  });

  const getList = (who: "ann" | "bob" | null, query = "") =>
    call(list as Handler, "GET", `/api/uploads${query}`, { cookie: who ? people[who].cookie : undefined });

  const tus = (
    who: "ann" | "bob",
    method: "POST" | "PATCH" | "HEAD" | "DELETE",
    url: string,
    headers: Record<string, string> = {},
    body?: Buffer,
  ) => {
    const handler = tusRoute[method] as unknown as Handler;
    return call(handler, method, url, {
      cookie: people[who].cookie,
      origin: APP_URL,
      headers: { "tus-resumable": "1.0.0", ...headers },
      body: body ? new Uint8Array(body) : undefined,
    });
  };
  const b64 = (s: string) => Buffer.from(s).toString("base64");

  it("answers 401 without a session", async () => {
    expect((await getList(null)).status).toBe(401);
    const res = await call(tusRoute.POST as unknown as Handler, "POST", TUS, { origin: APP_URL, headers: { "upload-length": "10" } });
    expect(res.status).toBe(401);
  });

  it("lists only the caller's uploads, newest first, with phases and summaries in words", async () => {
    const add = async (userId: string, name: string) => createUpload(t.db, { userId, filePath: `/nowhere/${name}`, originalName: name, byteSize: 10 });
    const queued = await add(people.ann.id, "queued.zip");
    const done = await add(people.ann.id, "done.zip");
    const failed = await add(people.ann.id, "failed.zip");
    await add(people.bob.id, "bobs.zip");
    // Newest first: order them by creation time, oldest first as added.
    for (const [i, id] of [queued, done, failed].entries()) {
      await t.db.updateTable("upload_jobs").set({ created_at: new Date(Date.UTC(2026, 0, 1 + i)) }).where("id", "=", id).execute();
    }
    await t.db
      .updateTable("upload_jobs")
      .set({
        status: "completed",
        entries_total: 12,
        inserted: 7,
        duplicates: 2,
        upgraded: 1,
        identical_folded: 1,
        skipped: 2,
        skipped_reasons: JSON.stringify({ no_identifiable_item: 2 }) as never,
        files: JSON.stringify([
          { name: "Streaming_History_Audio_2023_0.json", status: "imported", format: "extended-new", entries: 12, skipped: 2 },
          { name: "Userdata.json", status: "ignored", reason: "not listening history" },
        ]) as never,
      })
      .where("id", "=", done)
      .execute();
    await t.db
      .updateTable("upload_jobs")
      .set({ status: "failed", error: "failed.zip is not a complete zip file: its end is missing, so the download was probably cut short." })
      .where("id", "=", failed)
      .execute();

    const res = await getList("ann");
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.uploads.map((u: { uploadId: string }) => u.uploadId)).toEqual([failed, done, queued]);
    expect(body.active).toBe(true);
    expect(body.next).toBeNull();
    const [f, d, q] = body.uploads;
    expect(q).toMatchObject({ phase: "queued", active: true, originalName: "queued.zip" });
    expect(q.phaseText).toMatch(/Queued/);
    expect(d).toMatchObject({ phase: "done", active: false, inserted: 7, duplicates: 2, upgraded: 1, identicalFolded: 1, skipped: 2 });
    expect(d.summaryText).toBe("7 new listens, 2 already there; 1 filled in with the second, track id and details; 1 identical row counted once; 2 skipped.");
    expect(d.skippedBy).toEqual([{ reason: "no_identifiable_item", count: 2, text: "rows with no track, episode or book (e.g. Unknown Artist)" }]);
    expect(d.files[0]).toMatchObject({ imported: true, formatText: "Extended streaming history (2023+ format)", entries: 12 });
    expect(d.files[1]).toMatchObject({ imported: false });
    expect(d.files[1].ignoredBecause).toMatch(/not listening history/);
    expect(f).toMatchObject({ phase: "failed", active: false });
    expect(f.error).toMatch(/cut short/);
    expect(f.nextStep).toMatch(/Download the export again/);
    expect(JSON.stringify(body)).not.toContain("bobs.zip");

    // Paging: one at a time, following `next`.
    const page1 = await (await getList("ann", "?limit=1")).json();
    expect(page1.uploads.map((u: { uploadId: string }) => u.uploadId)).toEqual([failed]);
    const page2 = await (await getList("ann", `?limit=2&before=${page1.next}`)).json();
    expect(page2.uploads.map((u: { uploadId: string }) => u.uploadId)).toEqual([done, queued]);
    expect(page2.next).toBeNull();
    // Bob's list has only Bob's.
    const bobs = await (await getList("bob")).json();
    expect(bobs.uploads.map((u: { originalName: string }) => u.originalName)).toEqual(["bobs.zip"]);
    await t.db.deleteFrom("upload_jobs").execute();
    await t.pool.query("delete from graphile_worker._private_jobs");
  });

  it("a tus upload: created, sent in two parts with a resume from the offset, then imported", async () => {
    const zip = readFileSync(await makeZip({ "MyData/StreamingHistory0.json": readFileSync(path.join(exportFixturesDir, "basic-old/StreamingHistory0.json")) }));
    const created = await tus("ann", "POST", TUS, { "upload-length": String(zip.length), "upload-metadata": `filename ${b64("my_spotify_data.zip")}` });
    expect(created.status).toBe(201);
    const location = created.headers.get("location")!;
    const id = location.split("/").pop()!;
    expect(location).toBe(`${TUS}/${id}`);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    // Listed at once, receiving.
    let listed = (await (await getList("ann")).json()).uploads[0];
    expect(listed).toMatchObject({ uploadId: id, phase: "receiving", originalName: "my_spotify_data.zip", byteSize: zip.length, bytesReceived: 0, active: true });

    const half = Math.floor(zip.length / 2);
    const patch = (who: "ann" | "bob", offset: number, bytes: Buffer) =>
      tus(who, "PATCH", location, { "upload-offset": String(offset), "content-type": "application/offset+octet-stream" }, bytes);
    const first = await patch("ann", 0, zip.subarray(0, half));
    expect(first.status).toBe(204);
    expect(first.headers.get("upload-offset")).toBe(String(half));
    listed = (await (await getList("ann")).json()).uploads[0];
    expect(listed).toMatchObject({ phase: "receiving", bytesReceived: half });
    expect(listed.phaseText).toMatch(/^Receiving: /);

    // Another person can neither see, nor write, nor cancel it.
    expect((await tus("bob", "HEAD", location)).status).toBe(404);
    expect((await patch("bob", half, zip.subarray(half))).status).toBe(404);
    expect((await tus("bob", "DELETE", location)).status).toBe(404);

    // The connection dropped: the client asks where to resume, and sends the rest.
    const head = await tus("ann", "HEAD", location);
    expect(head.status).toBe(200);
    expect(head.headers.get("upload-offset")).toBe(String(half));
    const last = await patch("ann", half, zip.subarray(half));
    expect(last.status).toBe(204);
    expect(last.headers.get("liner-upload-id")).toBe(id);

    const row = await t.db.selectFrom("upload_jobs").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ user_id: people.ann.id, status: "pending", byte_size: String(zip.length) });
    expect(path.dirname(row.file_path!)).toBe(path.join(dataDir, "uploads"));
    expect(readFileSync(row.file_path!).equals(zip)).toBe(true);
    const jobs = await t.pool.query(
      "select t.identifier as task, j.payload from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id",
    );
    expect(jobs.rows).toEqual([{ task: "import_upload", payload: { uploadId: id } }]);
    // Nothing of it is left in the tus folder.
    expect(readdirSync(tusDir(loadConfig()))).toEqual([]);
    // A client resuming it after the end hears it is whole.
    const after = await tus("ann", "HEAD", location);
    expect(after.status).toBe(200);
    expect(after.headers.get("upload-offset")).toBe(String(zip.length));

    const result = await runImport(poolDatabase(t.pool), id, { limits: defaultLimits, removeFile: true, log: quiet });
    expect(result.status).toBe("completed");
    expect(result.inserted).toBeGreaterThan(0);
    listed = (await (await getList("ann")).json()).uploads[0];
    expect(listed).toMatchObject({ uploadId: id, phase: "done", inserted: result.inserted, active: false });
    expect(existsSync(row.file_path!)).toBe(false);
    await t.pool.query("delete from graphile_worker._private_jobs");
  });

  it("refuses a tus upload over the size limit with 413, and an empty one", async () => {
    const res = await tus("ann", "POST", TUS, { "upload-length": String(LIMIT + 1) });
    expect(res.status).toBe(413);
    expect((await res.json()).message).toMatch(/larger than the 2 MB/);
    expect((await tus("ann", "POST", TUS, { "upload-length": "0" })).status).toBe(400);
    // And a PATCH carrying more than the upload's declared length.
    const created = await tus("ann", "POST", TUS, { "upload-length": "4" });
    const location = created.headers.get("location")!;
    const over = await tus("ann", "PATCH", location, { "upload-offset": "0", "content-type": "application/offset+octet-stream" }, Buffer.from("12345678"));
    expect(over.status).toBe(413);
  });

  it("a cancelled upload disappears; an unfinished one expires after a day, files removed, row failed in words", async () => {
    const cancel = await tus("ann", "POST", TUS, { "upload-length": "100" });
    const cancelId = cancel.headers.get("location")!.split("/").pop()!;
    expect((await tus("ann", "DELETE", cancel.headers.get("location")!)).status).toBe(204);
    expect(await t.db.selectFrom("upload_jobs").select("id").where("id", "=", cancelId).executeTakeFirst()).toBeUndefined();

    const created = await tus("ann", "POST", TUS, { "upload-length": "100" });
    const id = created.headers.get("location")!.split("/").pop()!;
    const dir = tusDir(loadConfig());
    const meta = path.join(dir, `${id}.json`);
    const info = JSON.parse(readFileSync(meta, "utf8"));
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3_600_000);
    writeFileSync(meta, JSON.stringify({ ...info, creation_date: twoDaysAgo.toISOString() }));
    await t.db.updateTable("upload_jobs").set({ created_at: twoDaysAgo }).where("id", "=", id).execute();
    // A fresh one stays.
    const fresh = (await tus("ann", "POST", TUS, { "upload-length": "100" })).headers.get("location")!.split("/").pop()!;

    expect(await sweepTusUploads(t.db, loadConfig())).toBe(1);
    expect(existsSync(path.join(dir, id))).toBe(false);
    expect(existsSync(meta)).toBe(false);
    expect(existsSync(path.join(dir, fresh))).toBe(true);
    const row = (await (await getList("ann")).json()).uploads.find((u: { uploadId: string }) => u.uploadId === id);
    expect(row).toMatchObject({ phase: "failed" });
    expect(row.error).toMatch(/not finished within a day/);
    expect(row.nextStep).toBe("Upload the file again.");
  });
});
