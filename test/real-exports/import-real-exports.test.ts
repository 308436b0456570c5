import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importAsUpload, makeZip } from "../support/imports";
import { createTestDatabase, type TestDatabase } from "../support/test-database";
import { realExportsDir as fixturesDir } from "./workshop";

type Expected = Record<string, Record<string, unknown> & { entries: number }>;
const expected = (dir: string): Expected => JSON.parse(readFileSync(path.join(fixturesDir, dir, "expected.json"), "utf8"));
const fixture = (dir: string, file: string) => path.join(fixturesDir, dir, file);
const load = (dir: string, file: string): Record<string, unknown>[] => JSON.parse(readFileSync(fixture(dir, file), "utf8"));

describe("importing the real exports in ../shared/fixtures", () => {
  let t: TestDatabase;
  let userId: string;
  beforeAll(async () => {
    t = await createTestDatabase();
    userId = (await t.db.insertInto("users").values({ spotify_id: "fixture-user" }).returning("id").executeTakeFirstOrThrow()).id;
  });
  afterAll(async () => t.drop());

  const listens = (uploadId: string) => t.pool.query(
    `select count(*)::int as n,
            count(*) filter (where ms_played = 0)::int as zero,
            count(distinct lookup_key)::int as pairs,
            count(distinct source_track_id)::int as uris,
            count(*) filter (where kind = 'track')::int as tracks,
            count(*) filter (where kind = 'episode')::int as episodes,
            count(*) filter (where skipped is null)::int as skipped_null,
            count(*) filter (where incognito)::int as incognito,
            count(*) filter (where offline_at is not null)::int as offline_at,
            count(*) - count(distinct played_at) as repeated_times,
            min(played_at) as earliest, max(played_at) as latest,
            count(*) filter (where enrichment_status = 'pending')::int as pending
     from listens where upload_id = $1`,
    [uploadId],
  ).then((r) => r.rows[0]);

  for (const file of ["StreamingHistory0.json", "StreamingHistory1.json"]) {
    it(`basic/mattgath/${file}: every entry accounted for, the counts of expected.json reproduced`, async () => {
      const exp = expected("basic/mattgath")[file]!;
      const raw = load("basic/mattgath", file);
      const unknown = raw.filter((e) => e.artistName === "Unknown Artist" && e.trackName === "Unknown Track");
      const r = await importAsUpload(t, userId, fixture("basic/mattgath", file));
      expect(r.status).toBe("completed");
      expect(r.entries).toBe(exp.entries);
      expect(r.files).toEqual([{ name: file, status: "imported", format: "basic-music", entries: exp.entries, skipped: exp.unknown_rows }]);
      expect(r.skipped).toBe(exp.unknown_rows);
      expect(r.skippedReasons).toEqual({ no_identifiable_item: exp.unknown_rows });
      expect(r.inserted).toBe(exp.entries - (exp.unknown_rows as number));
      expect(r.duplicates).toBe(0);
      const l = await listens(r.uploadId);
      expect(l.n).toBe(r.inserted);
      expect(l.zero + unknown.filter((e) => e.msPlayed === 0).length).toBe(exp.ms_played_zero);
      // The placeholder "Unknown Artist — Unknown Track" is the one pair that is not an item.
      expect(l.pairs).toBe((exp.distinct_artist_track_pairs as number) - 1);
      expect(l.tracks).toBe(l.n);
      expect(l.pending).toBe(l.n);
      // Entries sharing an endTime are distinct listens and all kept.
      const knownTimes = new Set(raw.filter((e) => !unknown.includes(e)).map((e) => e.endTime));
      expect(Number(l.repeated_times)).toBe(r.inserted - knownTimes.size);
      expect(Number(l.repeated_times)).toBeGreaterThan((exp.duplicate_endTime_values as number) - (exp.unknown_rows as number) - 10);
      const minute = (d: Date) => d.toISOString().slice(0, 16).replace("T", " ");
      expect(minute(l.earliest)).toBe(exp.earliest);
      expect(minute(l.latest)).toBe(exp.latest);
      const upload = await t.db.selectFrom("upload_jobs").selectAll().where("id", "=", r.uploadId).executeTakeFirstOrThrow();
      expect(upload).toMatchObject({ status: "completed", entries_total: exp.entries, inserted: r.inserted, skipped: exp.unknown_rows, file_path: null, error: null });
      const precision = await t.pool.query("select distinct played_at_precision from listens where upload_id = $1", [r.uploadId]);
      expect(precision.rows).toEqual([{ played_at_precision: "minute" }]);
    });
  }

  it("extended/candidlyred/endsong.json: every entry accounted for, the counts of expected.json reproduced", async () => {
    const exp = expected("extended/candidlyred")["endsong.json"]!;
    const r = await importAsUpload(t, userId, fixture("extended/candidlyred", "endsong.json"));
    expect(r.status).toBe("completed");
    expect(r.files).toEqual([{ name: "endsong.json", status: "imported", format: "extended-old", entries: exp.entries, skipped: exp.all_null_rows }]);
    expect(r.skippedReasons).toEqual({ no_identifiable_item: exp.all_null_rows });
    // One row is in the file twice, identical in every field (offline_timestamp to the ms): one play.
    const plays = (exp.music_rows as number) - 1;
    expect(r.identicalFolded).toBe(1);
    expect(r.inserted).toBe(plays);
    expect(r.inserted + r.identicalFolded + r.skipped).toBe(exp.entries);
    const l = await listens(r.uploadId);
    expect(l).toMatchObject({
      n: plays,
      tracks: plays,
      episodes: exp.episode_rows,
      zero: exp.ms_played_zero,
      uris: exp.distinct_track_uris,
      pairs: exp.distinct_artist_track_pairs,
      skipped_null: (exp.skipped_null as number) - 1,
      incognito: exp.incognito_true,
      pending: plays,
    });
    // offline_timestamp is in milliseconds in this file: read as such, each lands within days of its
    // play (one real row is four days off), never in 1970 or the year 50000.
    expect(l.offline_at).toBe(plays);
    const far = await t.pool.query(
      "select count(*)::int as n from listens where upload_id = $1 and abs(extract(epoch from played_at - offline_at)) > 86400 * 7",
      [r.uploadId],
    );
    expect(far.rows[0].n).toBe(0);
    expect(l.earliest.toISOString().replace(".000Z", "Z")).toBe(exp.earliest);
    expect(l.latest.getTime()).toBeLessThanOrEqual(Date.parse(exp.latest as string));
    // Entries sharing a ts are kept (but for the row written twice); unsorted input changes nothing.
    const raw = load("extended/candidlyred", "endsong.json").filter((e) => e.master_metadata_track_name !== null);
    expect(Number(l.repeated_times)).toBe(raw.length - 1 - new Set(raw.map((e) => e.ts)).size);
    // Names of people and devices are never stored, even where the export had them.
    const cols = await t.pool.query(
      "select column_name from information_schema.columns where table_name = 'listens' and column_name ~ '(^ip|_ip|ip_addr|agent|user_?name)'",
    );
    expect(cols.rows).toEqual([]);
  });

  it("importing a fixture again adds nothing: every listen is a duplicate", async () => {
    const exp = expected("extended/candidlyred")["endsong.json"]!;
    const r = await importAsUpload(t, userId, fixture("extended/candidlyred", "endsong.json"));
    expect(r).toMatchObject({ status: "completed", inserted: 0, duplicates: (exp.music_rows as number) - 1, identicalFolded: 1, skipped: exp.all_null_rows });
  });

  it("both basic files zipped the way Spotify sends them, with other files: history imported, the rest ignored, nothing doubled", async () => {
    const exp = expected("basic/mattgath");
    const zip = await makeZip({
      "MyData/StreamingHistory0.json": readFileSync(fixture("basic/mattgath", "StreamingHistory0.json")),
      "MyData/StreamingHistory1.json": readFileSync(fixture("basic/mattgath", "StreamingHistory1.json")),
      "MyData/Userdata.json": JSON.stringify({ username: "x", country: "SE" }),
      "MyData/SearchQueries.json": JSON.stringify([{ platform: "IPHONE", searchTime: "2023-01-01T00:00:00Z", searchQuery: "x" }]),
      "MyData/Read_Me_First.pdf": "%PDF-1.4 …",
    });
    const r = await importAsUpload(t, userId, zip, { name: "my_spotify_data.zip" });
    expect(r.status).toBe("completed");
    const total = exp["StreamingHistory0.json"]!.entries + exp["StreamingHistory1.json"]!.entries;
    expect(r.entries).toBe(total);
    expect(r.inserted).toBe(0);
    expect(r.duplicates).toBe(total - 22);
    expect(r.files.map((f) => [f.name, f.status, f.format ?? f.reason])).toEqual([
      ["MyData/StreamingHistory0.json", "imported", "basic-music"],
      ["MyData/StreamingHistory1.json", "imported", "basic-music"],
      ["MyData/Userdata.json", "ignored", "not a JSON array"],
      ["MyData/SearchQueries.json", "ignored", "not listening history"],
      ["MyData/Read_Me_First.pdf", "ignored", "not a JSON array"],
    ]);
  });
});
