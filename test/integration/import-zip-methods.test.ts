import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultLimits, importAsUpload, makeZip, writeTemp } from "../support/imports";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

/** An account-data file of 4,720 entries: 4,715 distinct plays and 5 "Unknown Artist" rows. */
const basic1 = Buffer.from(
  JSON.stringify(
    Array.from({ length: 4720 }, (_, i) => {
      const endTime = new Date(Date.UTC(2023, 0, 1) + i * 240_000).toISOString().slice(0, 16).replace("T", " ");
      return i % 944 === 943
        ? { endTime, artistName: "Unknown Artist", trackName: "Unknown Track", msPlayed: 1000 }
        : { endTime, artistName: `Artist ${i % 57}`, trackName: `Song ${i % 311}`, msPlayed: 30_000 + i };
    }),
    null,
    2,
  ),
);
const PDF = Buffer.concat([Buffer.from("%PDF-1.4\n"), Buffer.alloc(3000, 0x41)]);

/** Sets the compression method of every member, in both the local headers and the central directory. */
function patchMethod(zip: Buffer, method: number): Buffer {
  const out = Buffer.from(zip);
  for (let at = out.indexOf(Buffer.from([0x50, 0x4b, 0x03, 0x04])); at >= 0; at = out.indexOf(Buffer.from([0x50, 0x4b, 0x03, 0x04]), at + 4)) {
    out.writeUInt16LE(method, at + 8);
  }
  for (let at = out.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])); at >= 0; at = out.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), at + 4)) {
    out.writeUInt16LE(method, at + 10);
  }
  return out;
}

describe("zips as real tools write them: stored and deflated members", () => {
  let t: TestDatabase;
  let userId: string;
  beforeAll(async () => {
    t = await createTestDatabase();
    userId = (await t.db.insertInto("users").values({ spotify_id: "zip-methods" }).returning("id").executeTakeFirstOrThrow()).id;
  });
  afterAll(async () => t.drop());

  const listensOf = async (uploadId: string) =>
    (await t.pool.query("select count(*)::int as n from listens where upload_id = $1", [uploadId])).rows[0].n as number;

  it("a zip whose small PDF is stored and whose history is deflated (what `zip -r` makes) imports", async () => {
    const zip = await makeZip({ "MyData/StreamingHistory1.json": basic1, "MyData/Read_Me_First.pdf": PDF }, { compress: (name) => name.endsWith(".json") });
    const r = await importAsUpload(t, userId, zip, { name: "my_spotify_data.zip" });
    expect(r.error).toBeUndefined();
    expect(r).toMatchObject({ status: "completed", entries: 4720, inserted: 4715, skipped: 5 });
    expect(r.files.map((f) => [f.name, f.status])).toEqual([
      ["MyData/StreamingHistory1.json", "imported"],
      ["MyData/Read_Me_First.pdf", "ignored"],
    ]);
    expect(await listensOf(r.uploadId)).toBe(4715);
  });

  it("a zip where every member is stored, history included, imports the same listens", async () => {
    const zip = await makeZip({ "MyData/StreamingHistory1.json": basic1, "MyData/Read_Me_First.pdf": PDF }, { compress: false });
    const r = await importAsUpload(t, userId, zip, { name: "stored.zip" });
    expect(r.error).toBeUndefined();
    expect(r).toMatchObject({ status: "completed", entries: 4720, inserted: 0, duplicates: 4715, skipped: 5 });
  });

  it("stored members are held to the limits like deflated ones", async () => {
    const zip = await makeZip({ "MyData/StreamingHistory1.json": basic1 }, { compress: false });
    const r = await importAsUpload(t, userId, zip, { name: "big.zip", limits: { ...defaultLimits, maxEntryBytes: 100_000 } });
    expect(r.status).toBe("failed");
    expect(r.error).toMatch(/MyData\/StreamingHistory1\.json in big\.zip unpacks to 0\.\d MB, more than the 0\.1 MB allowed/);
    expect(existsSync(r.filePath)).toBe(false);
  });

  it("a stored member whose declared size is a lie fails the upload and keeps nothing", async () => {
    const zip = await readFile(await makeZip({ "MyData/StreamingHistory1.json": basic1 }, { compress: false }));
    const at = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    zip.writeUInt32LE(1000, at + 24);
    const r = await importAsUpload(t, userId, await writeTemp("liar.zip", zip), { name: "liar.zip" });
    expect(r.status).toBe("failed");
    expect(r.error).toMatch(/liar\.zip/);
    expect(await listensOf(r.uploadId)).toBe(0);
    expect(existsSync(r.filePath)).toBe(false);
  });

  for (const [method, label] of [
    [9, "Deflate64"],
    [12, "BZIP2"],
    [14, "LZMA"],
    [93, "Zstandard"],
    [77, undefined],
  ] as const) {
    it(`a member compressed with method ${method} is refused by name, before anything is read`, async () => {
      const good = await readFile(await makeZip({ "MyData/StreamingHistory1.json": basic1, "MyData/Read_Me_First.pdf": PDF }));
      const r = await importAsUpload(t, userId, await writeTemp("m.zip", patchMethod(good, method)), { name: "my_spotify_data.zip" });
      expect(r.status).toBe("failed");
      expect(r.error).toBe(
        `MyData/StreamingHistory1.json in my_spotify_data.zip uses compression method ${method}` +
          (label ? ` (${label})` : "") +
          ", which Liner cannot read; re-zip it with ordinary deflate.",
      );
      expect(await listensOf(r.uploadId)).toBe(0);
      expect(existsSync(r.filePath)).toBe(false);
      const upload = await t.db.selectFrom("upload_jobs").select(["status", "error", "file_path", "entries_processed"]).where("id", "=", r.uploadId).executeTakeFirstOrThrow();
      expect(upload).toMatchObject({ status: "failed", error: r.error, file_path: null, entries_processed: 0 });
    });
  }
});
