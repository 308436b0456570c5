import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixtureFiles, SENSITIVE } from "../fixtures/exports/make";
import { exportFixturesDir, importAsUpload, makeZip } from "../support/imports";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

/** What each fixture folder's expected.json states (counted by hand from the rows in make.ts). */
interface Expected {
  zip_folder: string;
  /** Per file, `identical_folded` is what folds when that file is uploaded alone. */
  files: Record<string, { format: string; keys: number; entries: number; skipped: number; identical_folded: number }>;
  entries: number;
  inserted: number;
  identical_folded: number;
  skipped: Record<string, number>;
  duplicates_when_files_uploaded_one_by_one: number;
  kinds: Record<string, number>;
  precision: "minute" | "second";
  ms_played_zero: number;
  distinct_played_at: number;
  distinct_lookup_keys: number;
  distinct_source_track_ids: number;
  with_source_uri: number;
  local_files: number;
  skipped_null: number;
  incognito: number;
  offline_at: number;
  earliest: string;
  latest: string;
  track_artists: string[];
}

const FIXTURES = ["basic-old", "basic-new", "extended-old", "extended-new"] as const;
const expected = (dir: string): Expected => JSON.parse(readFileSync(path.join(exportFixturesDir, dir, "expected.json"), "utf8"));
const fixture = (dir: string, file: string) => path.join(exportFixturesDir, dir, file);
const rows = (dir: string, file: string): Record<string, unknown>[] => JSON.parse(readFileSync(fixture(dir, file), "utf8"));

/** The other files of a real export, which are not listening history: name → [content, why ignored]. */
function extras(folder: string): Record<string, [string, string]> {
  if (folder.includes("Extended")) {
    return { [`${folder}ReadMeFirst_ExtendedStreamingHistory.pdf`]: ["%PDF-1.4\n% not really a PDF\n", "not a JSON array"] };
  }
  return {
    [`${folder}Userdata.json`]: [
      JSON.stringify({ username: SENSITIVE.username, email: "fixture@example.com", country: "IS", birthdate: "1990-01-01" }, null, 2),
      "not a JSON array",
    ],
    [`${folder}SearchQueries.json`]: [
      JSON.stringify([{ platform: "IPHONE", searchTime: "2019-03-01T08:00:00.000Z[UTC]", searchQuery: "björk", searchInteractionURIs: [] }]),
      "not listening history",
    ],
    [`${folder}Marquee.json`]: [JSON.stringify([{ artistName: "Björk", segment: "Previously Active Listeners" }]), "not listening history"],
    [`${folder}Read_Me_First.pdf`]: ["%PDF-1.4\n% not really a PDF\n", "not a JSON array"],
  };
}

/** The zip Spotify sends: the history files in their folder, then the other files. */
function exportZip(dir: string) {
  const exp = expected(dir);
  const members: Record<string, string | Buffer> = {};
  for (const file of Object.keys(exp.files)) members[`${exp.zip_folder}${file}`] = readFileSync(fixture(dir, file));
  for (const [name, [content]] of Object.entries(extras(exp.zip_folder))) members[name] = content;
  return makeZip(members);
}

/** A row with nothing that identifies what was played, by the export's own conventions. */
function unidentifiable(row: Record<string, unknown>): boolean {
  if ("endTime" in row) return row.artistName === "Unknown Artist" && row.trackName === "Unknown Track";
  const named = ["master_metadata_track_name", "master_metadata_album_artist_name", "spotify_track_uri", "episode_name", "episode_show_name", "spotify_episode_uri", "audiobook_title", "audiobook_uri", "audiobook_chapter_uri", "audiobook_chapter_title"];
  return named.every((k) => row[k] === null || row[k] === undefined);
}

/** A row as a string that is equal for rows identical in every field (whatever the key order). */
const canonical = (row: Record<string, unknown>) => JSON.stringify(Object.entries(row).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/**
 * How many rows of these files (one upload) are the same play as another row, by the rule in
 * README.md, counted straight from the raw rows: extended rows identical in every field are one
 * play; basic rows identical within one file are distinct plays, and the same rows in another file
 * are those plays again — so a basic row appearing n times at most in one file is n plays.
 * Rows that are skipped (nothing identifies them) are skipped, not folded.
 */
function identicalFolded(files: Record<string, unknown>[][]): number {
  // canonical row → [basic, its count in each file]
  const seen = new Map<string, [boolean, number[]]>();
  files.forEach((file, i) => {
    for (const row of file.filter((r) => !unidentifiable(r))) {
      const key = canonical(row);
      if (!seen.has(key)) seen.set(key, ["endTime" in row, files.map(() => 0)]);
      seen.get(key)![1][i]! += 1;
    }
  });
  let folded = 0;
  for (const [basic, counts] of seen.values()) {
    const total = counts.reduce((a, b) => a + b, 0);
    folded += total - (basic ? Math.max(...counts) : 1);
  }
  return folded;
}

describe("importing the export fixtures in test/fixtures/exports", () => {
  let t: TestDatabase;
  const users: Record<string, string> = {};
  const newUser = async (name: string) =>
    (users[name] = (await t.db.insertInto("users").values({ spotify_id: name }).returning("id").executeTakeFirstOrThrow()).id);

  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => t.drop());

  const summary = async (uploadId: string) => {
    const r = await t.pool.query(
      `select count(*)::int as n,
              count(*) filter (where ms_played = 0)::int as ms_played_zero,
              count(distinct played_at)::int as distinct_played_at,
              count(distinct lookup_key)::int as distinct_lookup_keys,
              count(distinct source_track_id)::int as distinct_source_track_ids,
              count(source_uri)::int as with_source_uri,
              count(*) filter (where source_uri like 'spotify:local:%')::int as local_files,
              count(*) filter (where skipped is null)::int as skipped_null,
              count(*) filter (where incognito)::int as incognito,
              count(offline_at)::int as offline_at,
              -- offline_timestamp is the play's start, in seconds or in ms: read right, it is played_at - ms_played.
              count(*) filter (where abs(extract(epoch from played_at - offline_at) * 1000 - ms_played) >= 1000)::int as offline_misread,
              min(played_at) as earliest, max(played_at) as latest,
              array_agg(distinct played_at_precision) as precisions
       from listens where upload_id = $1`,
      [uploadId],
    );
    const kinds = await t.pool.query("select kind, count(*)::int as n from listens where upload_id = $1 group by kind", [uploadId]);
    const artists = await t.pool.query("select distinct artist_name from listens where upload_id = $1 and kind = 'track'", [uploadId]);
    return {
      ...r.rows[0],
      kinds: Object.fromEntries(kinds.rows.map((k) => [k.kind, k.n])),
      track_artists: artists.rows.map((a) => a.artist_name as string).sort(),
    };
  };

  it("the fixture files are exactly what make.ts writes", () => {
    const files = fixtureFiles();
    const onDisk = FIXTURES.flatMap((dir) =>
      readdirSync(path.join(exportFixturesDir, dir))
        .filter((f) => f !== "expected.json")
        .map((f) => `${dir}/${f}`),
    );
    expect(onDisk.sort()).toEqual(Object.keys(files).sort());
    for (const [name, content] of Object.entries(files)) expect(readFileSync(path.join(exportFixturesDir, name), "utf8"), name).toBe(content);
  });

  for (const dir of FIXTURES) {
    describe(dir, () => {
      const exp = expected(dir);
      let firstUpload: string;

      it("expected.json agrees with the files themselves", () => {
        let entries = 0;
        let skipped = 0;
        let foldedInOwnFile = 0;
        for (const [file, f] of Object.entries(exp.files)) {
          const r = rows(dir, file);
          expect(r.length, file).toBe(f.entries);
          expect(r.filter(unidentifiable).length, file).toBe(f.skipped);
          expect(identicalFolded([r]), file).toBe(f.identical_folded);
          expect(new Set(r.map((e) => Object.keys(e).length)), file).toEqual(new Set([f.keys]));
          entries += r.length;
          skipped += r.filter(unidentifiable).length;
          foldedInOwnFile += f.identical_folded;
        }
        const folded = identicalFolded(Object.keys(exp.files).map((file) => rows(dir, file)));
        expect(entries).toBe(exp.entries);
        expect(Object.values(exp.skipped).reduce((a, b) => a + b, 0)).toBe(skipped);
        expect(exp.identical_folded).toBe(folded);
        expect(exp.inserted).toBe(entries - skipped - folded);
        // Uploaded one by one, a row that folds only into a row of another file is a duplicate of
        // that file's upload instead (in these fixtures, every such duplicate is one of them).
        expect(exp.duplicates_when_files_uploaded_one_by_one).toBe(folded - foldedInOwnFile);
        expect(Object.values(exp.kinds).reduce((a, b) => a + b, 0)).toBe(exp.inserted);
      });

      it(`zipped in "${exp.zip_folder}" with the other files of an export: every entry accounted for, the counts of expected.json reproduced`, async () => {
        const userId = await newUser(`${dir}-zip`);
        const r = await importAsUpload(t, userId, await exportZip(dir), { name: "my_spotify_data.zip" });
        expect(r.status, r.error).toBe("completed");
        firstUpload = r.uploadId;
        const skipped = exp.entries - exp.inserted - exp.identical_folded;
        expect(r).toMatchObject({ entries: exp.entries, inserted: exp.inserted, duplicates: 0, upgraded: 0, identicalFolded: exp.identical_folded, skipped });
        expect(r.inserted + r.duplicates + r.identicalFolded + r.skipped).toBe(r.entries);
        expect(r.skippedReasons).toEqual(exp.skipped);
        expect(r.files).toEqual([
          ...Object.entries(exp.files).map(([file, f]) => ({
            name: `${exp.zip_folder}${file}`,
            status: "imported",
            format: f.format,
            entries: f.entries,
            skipped: f.skipped,
          })),
          ...Object.entries(extras(exp.zip_folder)).map(([name, [, reason]]) => ({ name, status: "ignored", reason })),
        ]);

        const s = await summary(r.uploadId);
        expect(s).toEqual({
          n: exp.inserted,
          kinds: exp.kinds,
          ms_played_zero: exp.ms_played_zero,
          distinct_played_at: exp.distinct_played_at,
          distinct_lookup_keys: exp.distinct_lookup_keys,
          distinct_source_track_ids: exp.distinct_source_track_ids,
          with_source_uri: exp.with_source_uri,
          local_files: exp.local_files,
          skipped_null: exp.skipped_null,
          incognito: exp.incognito,
          offline_at: exp.offline_at,
          offline_misread: 0,
          earliest: new Date(exp.earliest),
          latest: new Date(exp.latest),
          precisions: [exp.precision],
          track_artists: [...exp.track_artists].sort(),
        });

        const upload = await t.db.selectFrom("upload_jobs").selectAll().where("id", "=", r.uploadId).executeTakeFirstOrThrow();
        expect(upload).toMatchObject({
          status: "completed",
          entries_total: exp.entries,
          inserted: exp.inserted,
          duplicates: 0,
          identical_folded: exp.identical_folded,
          skipped,
          skipped_reasons: exp.skipped,
          files: r.files,
          file_path: null,
          error: null,
        });
      });

      it("the same zip again adds nothing: every listen is a duplicate", async () => {
        const r = await importAsUpload(t, users[`${dir}-zip`]!, await exportZip(dir), { name: "my_spotify_data.zip" });
        // Folding is within the upload: the second upload folds the same rows, and the rest are duplicates.
        expect(r).toMatchObject({
          status: "completed",
          entries: exp.entries,
          inserted: 0,
          duplicates: exp.inserted,
          identicalFolded: exp.identical_folded,
          skipped: exp.entries - exp.inserted - exp.identical_folded,
        });
        const n = await t.pool.query("select count(*)::int as n from listens where user_id = $1", [users[`${dir}-zip`]]);
        expect(n.rows[0].n).toBe(exp.inserted);
        const first = await t.pool.query("select count(*)::int as n from listens where upload_id = $1", [firstUpload]);
        expect(first.rows[0].n).toBe(exp.inserted);
      });

      it("its files uploaded one by one, each as a JSON file: each detected by its contents", async () => {
        const userId = await newUser(`${dir}-files`);
        let inserted = 0;
        let duplicates = 0;
        for (const [file, f] of Object.entries(exp.files)) {
          const r = await importAsUpload(t, userId, fixture(dir, file));
          expect(r.status, r.error).toBe("completed");
          expect(r.files).toEqual([{ name: file, status: "imported", format: f.format, entries: f.entries, skipped: f.skipped }]);
          expect(r.identicalFolded, file).toBe(f.identical_folded);
          expect(r.skipped, file).toBe(f.skipped);
          expect(r.inserted + r.duplicates + r.identicalFolded + r.skipped).toBe(f.entries);
          inserted += r.inserted;
          duplicates += r.duplicates;
        }
        // An identical play at the end of one file and the start of the next is folded in one upload;
        // uploaded apart, the second file's copy is a duplicate of the first's upload instead (basic-old
        // has one such play). Either way the same listens end up stored.
        expect(duplicates).toBe(exp.duplicates_when_files_uploaded_one_by_one);
        expect(inserted).toBe(exp.inserted);
      });
    });
  }

  it("no IP address, user agent or username of the exports reaches the database", async () => {
    const markers = Object.values(SENSITIVE);
    // The markers really are in what was imported.
    for (const m of markers) {
      expect(FIXTURES.some((dir) => Object.keys(expected(dir).files).some((f) => readFileSync(fixture(dir, f), "utf8").includes(m))), m).toBe(true);
    }
    const imported = await t.pool.query("select count(*)::int as n from upload_jobs where status = 'completed'");
    expect(imported.rows[0].n).toBe(FIXTURES.length * 2 + FIXTURES.reduce((n, dir) => n + Object.keys(expected(dir).files).length, 0));
    const tables = await t.pool.query<{ schema: string; name: string }>(
      `select table_schema as schema, table_name as name from information_schema.tables
       where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')`,
    );
    expect(tables.rows.map((r) => r.name)).toEqual(expect.arrayContaining(["listens", "upload_jobs"]));
    const found: string[] = [];
    for (const { schema, name } of tables.rows) {
      const q = await t.pool.query(
        `select count(*)::int as n from "${schema}"."${name}" t where t::text ilike any($1)`,
        [markers.map((m) => `%${m}%`)],
      );
      if (q.rows[0].n > 0) found.push(`${schema}.${name}`);
    }
    expect(found).toEqual([]);
  });
});
