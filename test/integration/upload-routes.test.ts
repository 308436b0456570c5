import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as status } from "../../src/app/api/uploads/[uploadId]/status/route";
import { PUT as upload } from "../../src/app/api/uploads/route";
import { closeAppDb } from "../../src/lib/db/app-db";
import { startWorker, type RunningWorker } from "../../src/lib/jobs/worker";
import { createLog } from "../../src/lib/util/log";
import { generateExport, writeExportZip } from "../spotify-sim/exports";
import { exportFixturesDir, importAsUpload, makeZip, scratchDir } from "../support/imports";
import { APP_URL, call, peopleWithSessions, type Handler } from "../support/routes";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

const LIMIT = 2 * 1024 * 1024;

describe("PUT /api/uploads and GET /api/uploads/[uploadId]/status", () => {
  let t: TestDatabase;
  let dataDir: string;
  let worker: RunningWorker | undefined;
  const people: Record<"ann" | "bob", { id: string; cookie: string }> = {} as never;

  beforeAll(async () => {
    t = await createTestDatabase();
    dataDir = await mkdtemp(path.join(os.tmpdir(), "liner-uploads-test-"));
    Object.assign(process.env, { DATABASE_URL: t.url, APP_URL, LINER_DATA_DIR: dataDir, UPLOAD_MAX_BYTES: String(LIMIT) });
    await closeAppDb();
    Object.assign(people, await peopleWithSessions(t, ["ann", "bob"] as const));
  });
  afterAll(async () => {
    await worker?.stop();
    await closeAppDb();
    await t.drop();
  });

  const uploadsDir = () => path.join(dataDir, "uploads");
  const listWaiting = () => (existsSync(uploadsDir()) ? readdirSync(uploadsDir()) : []);
  /** The files in the uploads folder, once the import that ended has had a moment to remove its own. */
  const filesWaiting = async () => {
    for (let i = 0; i < 40 && listWaiting().length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    return listWaiting();
  };
  const getStatus = (who: "ann" | "bob", uploadId: string) =>
    call(status as Handler, "GET", `/api/uploads/${uploadId}/status`, { cookie: people[who].cookie, params: { uploadId } });

  async function waitFor(uploadId: string, done = ["completed", "failed"]) {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const body = await (await getStatus("ann", uploadId)).json();
      if (done.includes(body.status) || Date.now() > deadline) return body;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it("streams the body to disk, records the upload and its job together, answers 202", async () => {
    const zip = readFileSync(await makeZip({ "MyData/StreamingHistory0.json": readFileSync(path.join(exportFixturesDir, "basic-old/StreamingHistory0.json")) }));
    const res = await call(upload as Handler, "PUT", "/api/uploads?name=my_spotify_data.zip", { cookie: people.ann.cookie, origin: APP_URL, body: zip });
    expect(res.status).toBe(202);
    const { uploadId } = await res.json();
    expect(uploadId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get("location")).toBe(`/api/uploads/${uploadId}/status`);
    const row = await t.db.selectFrom("upload_jobs").selectAll().where("id", "=", uploadId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ user_id: people.ann.id, status: "pending", original_name: "my_spotify_data.zip", byte_size: String(zip.length) });
    expect(path.dirname(row.file_path!)).toBe(uploadsDir());
    expect(readFileSync(row.file_path!).equals(zip)).toBe(true);
    const jobs = await t.pool.query(
      "select t.identifier as task_identifier, j.payload from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id",
    );
    expect(jobs.rows).toEqual([{ task_identifier: "import_upload", payload: { uploadId } }]);

    const pending = await getStatus("ann", uploadId);
    expect(pending.status).toBe(200);
    expect(await pending.json()).toMatchObject({ uploadId, status: "pending", progress: 0, inserted: 0, error: null });

    // Someone else's upload does not exist for them.
    expect((await getStatus("bob", uploadId)).status).toBe(404);
    expect((await getStatus("ann", "not-a-uuid")).status).toBe(404);

    worker = await startWorker({ pool: t.pool, concurrency: 1, heartbeatSeconds: 5, log: createLog("test", "error") });
    const done = await waitFor(uploadId);
    expect(done).toMatchObject({
      status: "completed",
      entriesTotal: 12,
      entriesProcessed: 12,
      inserted: 10,
      duplicates: 0,
      identicalFolded: 0,
      skipped: 2,
      skippedReasons: { no_identifiable_item: 2 },
      namesCapped: 0,
      progress: 1,
      error: null,
      files: [{ name: "MyData/StreamingHistory0.json", status: "imported", format: "basic-music", entries: 12, skipped: 2 }],
    });
    expect(await filesWaiting()).toEqual([]);
  });

  it("a bad upload ends failed, with the person's file name in the message", async () => {
    const res = await call(upload as Handler, "PUT", "/api/uploads", {
      cookie: people.ann.cookie,
      origin: APP_URL,
      headers: { "x-file-name": encodeURIComponent("my data ✓.zip") },
      body: Buffer.from("PK\u0003\u0004 this is not really a zip"),
    });
    expect(res.status).toBe(202);
    const { uploadId } = await res.json();
    const done = await waitFor(uploadId);
    expect(done.status).toBe("failed");
    expect(done.error).toMatch(/^my data ✓\.zip is not a complete zip file/);
    expect(await filesWaiting()).toEqual([]);
  });

  it("refuses a body over UPLOAD_MAX_BYTES with 413, declared or streamed, and keeps nothing", async () => {
    const before = await t.db.selectFrom("upload_jobs").select("id").execute();
    const declared = await call(upload as Handler, "PUT", "/api/uploads", {
      cookie: people.ann.cookie,
      origin: APP_URL,
      headers: { "content-length": String(LIMIT + 1) },
      body: Buffer.alloc(10),
    });
    expect(declared.status).toBe(413);
    expect(await declared.json()).toMatchObject({ error: "too_large" });
    let sent = 0;
    const chunk = Buffer.alloc(256 * 1024, 0x20);
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > LIMIT * 3) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const streamed = await call(upload as Handler, "PUT", "/api/uploads", { cookie: people.ann.cookie, origin: APP_URL, body });
    expect(streamed.status).toBe(413);
    // It stopped reading soon after the limit, rather than taking the whole body.
    expect(sent).toBeLessThan(LIMIT * 2);
    expect(await filesWaiting()).toEqual([]);
    expect(await t.db.selectFrom("upload_jobs").select("id").execute()).toEqual(before);
  });

  it("refuses an empty body", async () => {
    const res = await call(upload as Handler, "PUT", "/api/uploads", { cookie: people.ann.cookie, origin: APP_URL, body: Buffer.alloc(0) });
    expect(res.status).toBe(400);
    expect(await filesWaiting()).toEqual([]);
  });

  it("shows counts while an import runs", async () => {
    await worker?.stop();
    worker = undefined;
    const zip = path.join(await scratchDir(), "live.zip");
    await writeExportZip(generateExport({ format: "extended-new", entries: 40_000, seed: "live" }), zip, { format: "extended-new", maxFileBytes: 2_000_000 });
    const seen: { status: string; entriesProcessed: number; progress: number }[] = [];
    let running = true;
    const importing = importAsUpload(t, people.ann.id, zip, { progressEveryMs: 0 }).finally(() => (running = false));
    while (running) {
      const id = (await t.db.selectFrom("upload_jobs").select("id").where("status", "=", "processing").executeTakeFirst())?.id;
      if (id) seen.push(await (await getStatus("ann", id)).json());
      await new Promise((r) => setTimeout(r, 20));
    }
    const r = await importing;
    expect(r.status).toBe("completed");
    const live = seen.filter((s) => s.status === "processing" && s.entriesProcessed > 0 && s.entriesProcessed < r.entries);
    expect(live.length).toBeGreaterThan(0);
    expect(live.every((s) => s.progress > 0 && s.progress <= 1)).toBe(true);
  });
});
