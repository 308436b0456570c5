import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uploadStatus } from "../../src/lib/imports/uploads";
import { exportFixturesDir, importAsUpload, makeZip, writeTemp } from "../support/imports";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

/** One Extended Streaming History entry (new schema) of a track, with overrides. */
const ext = (over: Record<string, unknown> = {}) => ({
  ts: "2024-03-01T10:15:30Z", platform: "ios", ms_played: 180_000, conn_country: "SE", ip_addr: null,
  master_metadata_track_name: "Song", master_metadata_album_artist_name: "Band", master_metadata_album_album_name: "Album",
  spotify_track_uri: "spotify:track:0123456789abcdefghijkl", episode_name: null, episode_show_name: null, spotify_episode_uri: null,
  audiobook_title: null, audiobook_uri: null, audiobook_chapter_uri: null, audiobook_chapter_title: null,
  reason_start: "trackdone", reason_end: "trackdone", shuffle: false, skipped: false, offline: false, offline_timestamp: 1709288000,
  incognito_mode: false,
  ...over,
});

const basicPlay = (over: Record<string, unknown> = {}) => ({ endTime: "2024-03-01 10:15", artistName: "Band", trackName: "Song", msPlayed: 180_000, ...over });

/** Half of a surrogate pair without the other half: what a careless cut leaves. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

describe("names are capped at import, whatever their length", () => {
  let t: TestDatabase;
  let userId: string;
  beforeAll(async () => {
    t = await createTestDatabase();
    userId = (await t.db.insertInto("users").values({ spotify_id: "long-names" }).returning("id").executeTakeFirstOrThrow()).id;
  });
  afterAll(async () => t.drop());

  // 999 letters then emoji (two UTF-16 units each): the cut falls inside the emoji run.
  const huge = (c: string) => "a".repeat(999) + "😀".repeat(2000) + c.repeat(3000);

  it("a basic entry with 6,000-character names is kept, its names cut at 1,000 characters, and the cut is counted", async () => {
    const file = await writeTemp(
      "StreamingHistory_music_0.json",
      JSON.stringify([basicPlay({ artistName: huge("A"), trackName: huge("T") }), basicPlay({ endTime: "2024-03-01 10:20" })]),
    );
    const r = await importAsUpload(t, userId, file, { name: "StreamingHistory_music_0.json" });
    expect(r.error).toBeUndefined();
    expect(r).toMatchObject({ status: "completed", entries: 2, inserted: 2, skipped: 0, namesCapped: 1 });
    const { rows } = await t.pool.query(
      "select artist_name, track_name, lookup_key, octet_length(lookup_key) as bytes from listens where upload_id = $1 and artist_name <> 'Band'",
      [r.uploadId],
    );
    expect(rows).toHaveLength(1);
    const l = rows[0];
    for (const name of [l.artist_name, l.track_name]) {
      expect([...name]).toHaveLength(1000);
      expect(name).not.toMatch(LONE_SURROGATE);
      expect(name).toBe("a".repeat(999) + "😀");
    }
    // What enrichment does with it: the shared lookup cache and the claims take it, under btree's row limit.
    await t.pool.query(
      `insert into track_lookups (lookup_key, artist_name, track_name, status) select lookup_key, artist_name, track_name, 'not_found' from listens where upload_id = $1`,
      [r.uploadId],
    );
    await t.pool.query(`insert into enrichment_claims (item, owner) select 'k:' || lookup_key, 'test' from listens where upload_id = $1`, [r.uploadId]);
    // The summary a person reads says so.
    const status = await uploadStatus(t.db, userId, r.uploadId);
    expect(status).toMatchObject({ status: "completed", namesCapped: 1, identicalFolded: 0 });

    // The same file again: the capped names give the same keys, so nothing is added.
    const again = await importAsUpload(t, userId, file, { name: "StreamingHistory_music_0.json" });
    expect(again).toMatchObject({ status: "completed", inserted: 0, duplicates: 2, namesCapped: 1 });
  });

  it("names that normalise to something much longer still give a lookup key an index can hold", async () => {
    // U+FDFA expands to 18 characters under NFKC: 1,000 of them would be 18,000 in the key.
    const file = await writeTemp(
      "Streaming_History_Audio_2024.json",
      JSON.stringify([ext({ master_metadata_album_artist_name: "\uFDFA".repeat(1500), master_metadata_track_name: "\uFDFA".repeat(900), master_metadata_album_album_name: "x".repeat(5000) })]),
    );
    const r = await importAsUpload(t, userId, file);
    expect(r).toMatchObject({ status: "completed", inserted: 1, namesCapped: 1 });
    const { rows } = await t.pool.query("select artist_name, track_name, album_name, lookup_key from listens where upload_id = $1", [r.uploadId]);
    expect([...rows[0].artist_name]).toHaveLength(1000);
    expect([...rows[0].track_name]).toHaveLength(900);
    expect(rows[0].album_name).toHaveLength(1000);
    expect(Buffer.byteLength(rows[0].lookup_key)).toBeLessThanOrEqual(2402);
    await t.pool.query(
      `insert into track_lookups (lookup_key, artist_name, track_name, status) select lookup_key, artist_name, track_name, 'not_found' from listens where upload_id = $1`,
      [r.uploadId],
    );
    await t.pool.query(`insert into enrichment_claims (item, owner) select 'k:' || lookup_key, 'test' from listens where upload_id = $1`, [r.uploadId]);
  });

  it("episode, show, book and chapter names are capped too", async () => {
    const file = await writeTemp(
      "x.json",
      JSON.stringify([
        ext({ ts: "2024-04-01T00:00:00Z", master_metadata_track_name: null, master_metadata_album_artist_name: null, master_metadata_album_album_name: null, spotify_track_uri: null, episode_name: "e".repeat(4000), episode_show_name: "s".repeat(4000), spotify_episode_uri: "spotify:episode:1" }),
        ext({ ts: "2024-04-01T01:00:00Z", master_metadata_track_name: null, master_metadata_album_artist_name: null, master_metadata_album_album_name: null, spotify_track_uri: null, audiobook_title: "b".repeat(4000), audiobook_chapter_title: "c".repeat(4000), audiobook_chapter_uri: "spotify:chapter:1" }),
      ]),
    );
    const r = await importAsUpload(t, userId, file, { name: "Streaming_History_Audio_2024_1.json" });
    expect(r).toMatchObject({ status: "completed", inserted: 2, namesCapped: 2 });
    const { rows } = await t.pool.query(
      `select length(coalesce(episode_name, chapter_title)) as a, length(coalesce(show_name, audiobook_title)) as b from listens where upload_id = $1`,
      [r.uploadId],
    );
    expect(rows).toEqual([{ a: 1000, b: 1000 }, { a: 1000, b: 1000 }]);
  });
});

describe("identical rows within one upload are one play", () => {
  let t: TestDatabase;
  const users: Record<string, string> = {};
  beforeAll(async () => {
    t = await createTestDatabase();
    for (const name of ["ann", "bob", "cat", "dan", "eve", "fay"]) {
      users[name] = (await t.db.insertInto("users").values({ spotify_id: name }).returning("id").executeTakeFirstOrThrow()).id;
    }
  });
  afterAll(async () => t.drop());

  const count = async (userId: string) => (await t.pool.query("select count(*)::int as n from listens where user_id = $1", [userId])).rows[0].n as number;

  it("the same extended file twice in one zip adds each listen once, and says how many it folded", async () => {
    const file = path.join(exportFixturesDir, "extended-old/endsong_0.json");
    const endsong = readFileSync(file);
    const zip = await makeZip({ "Spotify Extended Streaming History/endsong.json": endsong, "copy/endsong.json": endsong });
    const r = await importAsUpload(t, users.ann!, zip, { name: "my_spotify_data.zip" });
    expect(r.error).toBeUndefined();
    // 8 entries a file (expected.json), 2 with nothing to identify, the other 6 all different.
    expect(r).toMatchObject({ status: "completed", entries: 16, skipped: 4, inserted: 6, identicalFolded: 6, duplicates: 0 });
    expect(r.entries).toBe(r.inserted + r.duplicates + r.identicalFolded + r.skipped);
    expect(await count(users.ann!)).toBe(6);
    const status = await uploadStatus(t.db, users.ann!, r.uploadId);
    expect(status).toMatchObject({ identicalFolded: 6, namesCapped: 0 });
    // Uploading it again, alone, adds nothing.
    const again = await importAsUpload(t, users.ann!, file);
    expect(again).toMatchObject({ status: "completed", inserted: 0, duplicates: 6, identicalFolded: 0 });
  });

  it("extended rows identical in every field are one play; rows differing in any one field stay distinct", async () => {
    const rows = [
      ext(), ext(), ext(),
      ext({ reason_start: "clickrow" }),
      ext({ offline_timestamp: 1709288001 }),
      ext({ ts: "2024-03-01T10:15:31Z" }),
      ext({ ms_played: 180_001 }),
      ext({ shuffle: true }),
      ext({ master_metadata_album_album_name: "Album (Deluxe)" }),
      ext({ platform: "android" }),
    ];
    const file = await writeTemp("Streaming_History_Audio_2024.json", JSON.stringify(rows));
    const r = await importAsUpload(t, users.bob!, file);
    expect(r).toMatchObject({ status: "completed", entries: 10, inserted: 8, identicalFolded: 2, duplicates: 0 });
    const again = await importAsUpload(t, users.bob!, file);
    expect(again).toMatchObject({ status: "completed", inserted: 0, duplicates: 8, identicalFolded: 2 });
    expect(await count(users.bob!)).toBe(8);
  });

  it("basic: identical rows within a file stay distinct plays; the same file twice in one zip adds them once", async () => {
    const plays = [basicPlay(), basicPlay(), basicPlay({ msPlayed: 0 }), basicPlay({ msPlayed: 0 }), basicPlay({ endTime: "2024-03-01 10:19" })];
    const json = JSON.stringify(plays);
    const zip = await makeZip({ "MyData/StreamingHistory_music_0.json": json, "Old/MyData/StreamingHistory_music_0.json": json });
    const r = await importAsUpload(t, users.cat!, zip);
    expect(r).toMatchObject({ status: "completed", entries: 10, inserted: 5, identicalFolded: 5, duplicates: 0 });
    // The same real-shaped file (12 entries, 2 "Unknown Artist" rows: expected.json) twice.
    const fixture = readFileSync(path.join(exportFixturesDir, "basic-old/StreamingHistory0.json"));
    const twice = await makeZip({ "a/StreamingHistory0.json": fixture, "b/StreamingHistory0.json": fixture });
    const m = await importAsUpload(t, users.cat!, twice);
    expect(m).toMatchObject({ status: "completed", entries: 24, skipped: 4, inserted: 10, identicalFolded: 10 });
  });

  it("basic: two exports overlapping in one zip add the overlap once", async () => {
    const a = [basicPlay({ endTime: "2024-03-01 10:00" }), basicPlay({ endTime: "2024-03-01 10:05" }), basicPlay({ endTime: "2024-03-01 10:05" })];
    const b = [basicPlay({ endTime: "2024-03-01 10:05" }), basicPlay({ endTime: "2024-03-01 10:05" }), basicPlay({ endTime: "2024-03-01 10:10" })];
    const r = await importAsUpload(t, users.dan!, await makeZip({ "x/StreamingHistory0.json": JSON.stringify(a), "y/StreamingHistory0.json": JSON.stringify(b) }));
    expect(r).toMatchObject({ status: "completed", entries: 6, inserted: 4, identicalFolded: 2 });
  });

  it("a basic and an extended export of the same plays in one zip: the extended rows are kept, nothing doubled", async () => {
    const basic = [basicPlay(), basicPlay({ endTime: "2024-03-01 10:40", msPlayed: 1000 })];
    const extended = [ext(), ext({ ts: "2024-03-01T10:40:09Z", ms_played: 1000 }), ext({ ts: "2024-03-01T10:50:09Z" })];
    const zip = await makeZip({ "MyData/StreamingHistory_music_0.json": JSON.stringify(basic), "Ext/Streaming_History_Audio_2024.json": JSON.stringify(extended) });
    const r = await importAsUpload(t, users.eve!, zip);
    expect(r).toMatchObject({ status: "completed", entries: 5, inserted: 3, identicalFolded: 2 });
    const { rows } = await t.pool.query("select played_at_precision as p, count(*)::int as n from listens where user_id = $1 group by 1", [users.eve]);
    expect(rows).toEqual([{ p: "second", n: 3 }]);
  });
});

describe("an episode's kind does not depend on upload order", () => {
  let t: TestDatabase;
  const users: Record<string, string> = {};
  beforeAll(async () => {
    t = await createTestDatabase();
    for (const name of ["basic-first", "extended-first"]) {
      users[name] = (await t.db.insertInto("users").values({ spotify_id: name }).returning("id").executeTakeFirstOrThrow()).id;
    }
  });
  afterAll(async () => t.drop());

  const basicFile = () =>
    writeTemp("StreamingHistory_podcast_0.json", JSON.stringify([{ endTime: "2024-05-01 08:30", podcastName: "The Show", episodeName: "Ep 1", msPlayed: 1_200_000 }]));
  const videoFile = () =>
    makeZip({
      "Spotify Extended Streaming History/Streaming_History_Video_2024.json": JSON.stringify([
        ext({
          ts: "2024-05-01T08:30:12Z", ms_played: 1_200_000, master_metadata_track_name: null, master_metadata_album_artist_name: null,
          master_metadata_album_album_name: null, spotify_track_uri: null, episode_name: "Ep 1", episode_show_name: "The Show",
          spotify_episode_uri: "spotify:episode:5Xt5DXGzch68nYYamXrNxZ",
        }),
      ]),
    });
  const listen = async (userId: string) =>
    (await t.pool.query("select kind, played_at_precision, source_uri from listens where user_id = $1", [userId])).rows;
  const counts = async (userId: string) =>
    (await t.pool.query("select kind, listens::int from listen_counts where user_id = $1 and listens <> 0", [userId])).rows;

  it("a basic podcast export, then the extended export whose video file has the same play", async () => {
    const b = await importAsUpload(t, users["basic-first"]!, await basicFile(), { name: "StreamingHistory_podcast_0.json" });
    expect(b).toMatchObject({ status: "completed", inserted: 1 });
    expect(await listen(users["basic-first"]!)).toEqual([{ kind: "episode", played_at_precision: "minute", source_uri: null }]);
    const e = await importAsUpload(t, users["basic-first"]!, await videoFile());
    expect(e).toMatchObject({ status: "completed", inserted: 0, upgraded: 1 });
    expect(await listen(users["basic-first"]!)).toEqual([{ kind: "video", played_at_precision: "second", source_uri: "spotify:episode:5Xt5DXGzch68nYYamXrNxZ" }]);
    expect(await counts(users["basic-first"]!)).toEqual([{ kind: "video", listens: 1 }]);
  });

  it("the other way round gives the same listen", async () => {
    const e = await importAsUpload(t, users["extended-first"]!, await videoFile());
    expect(e).toMatchObject({ status: "completed", inserted: 1 });
    const b = await importAsUpload(t, users["extended-first"]!, await basicFile(), { name: "StreamingHistory_podcast_0.json" });
    expect(b).toMatchObject({ status: "completed", inserted: 0, duplicates: 1 });
    expect(await listen(users["extended-first"]!)).toEqual([{ kind: "video", played_at_precision: "second", source_uri: "spotify:episode:5Xt5DXGzch68nYYamXrNxZ" }]);
    expect(await counts(users["extended-first"]!)).toEqual([{ kind: "video", listens: 1 }]);
  });
});
