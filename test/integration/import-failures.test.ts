import { existsSync, readFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker, type RunningWorker } from "../../src/lib/jobs/worker";
import { createUpload } from "../../src/lib/imports/uploads";
import { createLog } from "../../src/lib/util/log";
import { generateExport } from "../spotify-sim/exports";
import { defaultLimits, fixturesDir, importAsUpload, makeZip, scratchDir, writeTemp } from "../support/imports";
import { createTestDatabase, type TestDatabase } from "../support/test-database";
import path from "node:path";
import { copyFile } from "node:fs/promises";

const basic = readFileSync(path.join(fixturesDir, "basic/mattgath/StreamingHistory1.json"));
const good = (n = 3) => JSON.stringify([...generateExport({ format: "extended-new", entries: n, seed: "good" })]);

describe("bad input fails the upload with a message naming the file, and keeps nothing", () => {
  let t: TestDatabase;
  let userId: string;
  beforeAll(async () => {
    t = await createTestDatabase();
    userId = (await t.db.insertInto("users").values({ spotify_id: "bad-input" }).returning("id").executeTakeFirstOrThrow()).id;
  });
  afterAll(async () => t.drop());

  async function expectFailure(source: string, name: string, message: RegExp, limits = defaultLimits) {
    const r = await importAsUpload(t, userId, source, { name, limits });
    expect(r.status).toBe("failed");
    expect(r.error).toMatch(message);
    const upload = await t.db.selectFrom("upload_jobs").selectAll().where("id", "=", r.uploadId).executeTakeFirstOrThrow();
    expect(upload).toMatchObject({ status: "failed", error: r.error, file_path: null, inserted: 0 });
    expect(upload.finished_at).not.toBeNull();
    expect(existsSync(r.filePath)).toBe(false);
    const kept = await t.pool.query("select count(*)::int as n from listens where upload_id = $1", [r.uploadId]);
    expect(kept.rows[0].n).toBe(0);
    return r;
  }

  it("a file that is neither a zip nor JSON", async () => {
    await expectFailure(await writeTemp("photo.jpg", Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3])), "photo.jpg", /photo\.jpg is not a JSON array/);
  });

  it("an empty file", async () => {
    await expectFailure(await writeTemp("empty.zip", ""), "empty.zip", /empty\.zip is empty/);
  });

  it("a truncated zip", async () => {
    const zip = await readFile(await makeZip({ "MyData/StreamingHistory0.json": basic }));
    await expectFailure(await writeTemp("cut.zip", zip.subarray(0, Math.floor(zip.length / 2))), "my_spotify_data.zip", /my_spotify_data\.zip is not a complete zip file.*truncated/);
  });

  it("a zip whose compressed data is damaged", async () => {
    const zip = await readFile(await makeZip({ "MyData/StreamingHistory0.json": basic }));
    for (let i = 200; i < 2000; i += 7) zip[i] = zip[i]! ^ 0x5a;
    await expectFailure(await writeTemp("bad.zip", zip), "my_spotify_data.zip", /MyData\/StreamingHistory0\.json \(in my_spotify_data\.zip\)/);
  });

  it("a zip bomb: too many files", async () => {
    const members = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${i}.json`, "[]"]));
    await expectFailure(await makeZip(members), "bomb.zip", /bomb\.zip holds 30 files, more than the 20/, { ...defaultLimits, maxEntries: 20 });
  });

  it("a zip bomb: one file unpacking past the limit", async () => {
    const zip = await makeZip({ "MyData/StreamingHistory0.json": Buffer.alloc(5_000_000, 0x20) });
    await expectFailure(zip, "bomb.zip", /MyData\/StreamingHistory0\.json in bomb\.zip unpacks to 4\.8 MB, more than the 1 MB/, { ...defaultLimits, maxEntryBytes: 1024 * 1024 });
  });

  it("a zip bomb: all files together unpacking past the limit", async () => {
    const zip = await makeZip({ "a.json": Buffer.alloc(800_000, 0x20), "b.json": Buffer.alloc(800_000, 0x20) });
    await expectFailure(zip, "bomb.zip", /bomb\.zip unpacks to more than the 1 MB allowed/, { ...defaultLimits, maxTotalBytes: 1024 * 1024 });
  });

  it("a zip that declares smaller sizes than it unpacks to", async () => {
    const zip = await readFile(await makeZip({ "MyData/StreamingHistory0.json": basic }));
    // Rewrite the central directory's uncompressed size (offset 24 of its 0x02014b50 record).
    const at = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    zip.writeUInt32LE(1000, at + 24);
    await expectFailure(await writeTemp("liar.zip", zip), "liar.zip", /MyData\/StreamingHistory0\.json \(in liar\.zip\) could not be read \(it unpacks to more than the 1000 bytes the zip declares\)/);
  });

  it("JSON that is not an array", async () => {
    await expectFailure(await writeTemp("x.json", JSON.stringify({ endTime: "2024-01-01 00:00" })), "StreamingHistory0.json", /StreamingHistory0\.json is not a JSON array/);
  });

  it("an array of something else than listens", async () => {
    await expectFailure(await writeTemp("x.json", JSON.stringify([{ searchQuery: "x" }])), "SearchQueries.json", /SearchQueries\.json is not a Spotify listening history/);
  });

  it("entries of the wrong shape after good ones", async () => {
    const entries = JSON.parse(good(3)) as unknown[];
    await expectFailure(
      await writeTemp("x.json", JSON.stringify([...entries, { hello: "world" }])),
      "Streaming_History_Audio_2024.json",
      /Streaming_History_Audio_2024\.json: entry 4 does not have the fields of the entries before it/,
    );
    await expectFailure(await writeTemp("y.json", JSON.stringify([...entries, 42])), "endsong_0.json", /endsong_0\.json: entry 4 is not an object/);
  });

  it("a truncated JSON file, alone or inside a zip — after good files, which are not kept either", async () => {
    const text = good(200);
    const cut = text.slice(0, Math.floor(text.length * 0.6));
    await expectFailure(await writeTemp("cut.json", cut), "endsong_0.json", /endsong_0\.json: the file ends before its array does.*truncated/);
    const zip = await makeZip({ "Spotify Extended Streaming History/endsong_0.json": good(50), "Spotify Extended Streaming History/endsong_1.json": cut });
    const r = await expectFailure(zip, "my_spotify_data.zip", /endsong_1\.json \(in my_spotify_data\.zip\): the file ends before its array does/);
    expect(r.inserted).toBe(0);
    expect((await t.pool.query("select count(*)::int as n from listens")).rows[0].n).toBe(0);
  });

  it("invalid JSON inside an entry", async () => {
    await expectFailure(await writeTemp("x.json", '[{"endTime": "2024-01-01 00:00", "msPlayed": 1, "artistName": "A", "trackName": tru}]'), "StreamingHistory0.json", /entry 1 is not valid JSON/);
  });

  it("a zip with no listening history in it", async () => {
    await expectFailure(await makeZip({ "MyData/Userdata.json": "{}", "MyData/Read.pdf": "%PDF" }), "my_spotify_data.zip", /No Spotify listening history found in my_spotify_data\.zip.*looked at 2 files/);
  });

  it("odd values inside good entries are skipped with a reason, not failed", async () => {
    const file = await writeTemp(
      "x.json",
      JSON.stringify([
        { endTime: "2024-01-01 00:00", artistName: "A", trackName: "B", msPlayed: 1 },
        { endTime: "yesterday", artistName: "A", trackName: "B", msPlayed: 1 },
        { endTime: "2024-01-01 00:01", artistName: "A", trackName: "B", msPlayed: -5 },
        { endTime: "2024-01-01 00:02", artistName: "Unknown Artist", trackName: "Unknown Track", msPlayed: 5 },
      ]),
    );
    const r = await importAsUpload(t, userId, file, { name: "StreamingHistory0.json" });
    expect(r).toMatchObject({
      status: "completed",
      entries: 4,
      inserted: 1,
      skipped: 3,
      skippedReasons: { invalid_time: 1, invalid_ms_played: 1, no_identifiable_item: 1 },
    });
  });
});

describe("the worker and bad uploads", () => {
  let t: TestDatabase;
  let worker: RunningWorker | undefined;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await worker?.stop();
    await t.drop();
  });

  it("a bad upload fails, its file is removed, and the worker goes on with the next job", async () => {
    const userId = (await t.db.insertInto("users").values({ spotify_id: "w" }).returning("id").executeTakeFirstOrThrow()).id;
    const dir = await scratchDir();
    const badPath = path.join(dir, "worker-bad.upload");
    const goodPath = path.join(dir, "worker-good.upload");
    await writeFile(badPath, "[{\"ts\": \"2024-01-01T00:00:00Z\", \"ms_played\": 5, \"spotify_track_uri\": null");
    await copyFile(path.join(fixturesDir, "extended/candidlyred/endsong.json"), goodPath);
    const bad = await createUpload(t.db, { userId, filePath: badPath, originalName: "endsong_7.json", byteSize: 10 });
    const goodId = await createUpload(t.db, { userId, filePath: goodPath, originalName: "endsong.json", byteSize: 10 });
    worker = await startWorker({ pool: t.pool, concurrency: 1, heartbeatSeconds: 5, log: createLog("test", "error") });
    const deadline = Date.now() + 20_000;
    let rows: { id: string; status: string; error: string | null; inserted: number }[] = [];
    while (Date.now() < deadline) {
      rows = await t.db.selectFrom("upload_jobs").select(["id", "status", "error", "inserted"]).execute();
      // The file goes once the import's transaction has committed: wait for both.
      if (rows.every((r) => r.status === "completed" || r.status === "failed") && !existsSync(badPath) && !existsSync(goodPath)) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
    expect(byId[bad]).toMatchObject({ status: "failed", inserted: 0 });
    expect(byId[bad]!.error).toMatch(/^endsong_7\.json: the file ends before its array does/);
    // 943 plays in the file, one of them written twice: one play.
    expect(byId[goodId]).toMatchObject({ status: "completed", inserted: 942 });
    // Files go right after the commit that ends each upload.
    for (let i = 0; i < 40 && (existsSync(badPath) || existsSync(goodPath)); i++) await new Promise((res) => setTimeout(res, 50));
    expect(existsSync(badPath)).toBe(false);
    expect(existsSync(goodPath)).toBe(false);
    // Both jobs succeeded as jobs: nothing is left to retry.
    let left = -1;
    for (let i = 0; i < 40 && left !== 0; i++) {
      left = (await t.pool.query("select count(*)::int as n from graphile_worker._private_jobs")).rows[0].n;
      if (left !== 0) await new Promise((res) => setTimeout(res, 50));
    }
    expect(left).toBe(0);
  });
});
