import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dedupeKey } from "../../src/lib/imports/dedupe-key";
import { generateExport, writeExportZip, type ExportEntry, type GenerateOptions } from "../spotify-sim/exports";
import { importAsUpload, makeZip, scratchDir, writeTemp } from "../support/imports";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

const N = 4000;

async function zipOf(entries: ExportEntry[], format: GenerateOptions["format"], name: string, extras = false) {
  const file = path.join(await scratchDir(), name);
  await writeExportZip(entries, file, { format, maxFileBytes: 400_000, extras });
  return file;
}

describe("imports of generated exports: formats, and never a listen twice", () => {
  let t: TestDatabase;
  const users: Record<string, string> = {};
  beforeAll(async () => {
    t = await createTestDatabase();
    for (const name of ["ann", "bob", "cat", "dan", "eve"]) {
      users[name] = (await t.db.insertInto("users").values({ spotify_id: name }).returning("id").executeTakeFirstOrThrow()).id;
    }
  });
  afterAll(async () => t.drop());

  const count = async (userId: string) =>
    Number((await t.pool.query("select count(*) from listens where user_id = $1", [userId])).rows[0].count);

  it("a new-schema extended export in several files, with the other files of a real zip", async () => {
    const entries = [...generateExport({ format: "extended-new", entries: N, seed: "new" })];
    const zip = await zipOf(entries, "extended-new", "new.zip", true);
    const r = await importAsUpload(t, users.ann!, zip, { name: "my_spotify_data.zip" });
    expect(r.status).toBe("completed");
    expect(r.entries).toBe(N);
    const imported = r.files.filter((f) => f.status === "imported");
    expect(imported.length).toBeGreaterThan(3);
    expect(imported.every((f) => f.format === "extended-new")).toBe(true);
    expect(imported.some((f) => /Streaming_History_Video_/.test(f.name))).toBe(true);
    expect(r.files.filter((f) => f.status === "ignored").map((f) => path.basename(f.name)).sort()).toEqual(
      ["Follow.json", "Marquee.json", "Playlist1.json", "ReadMeFirst_ExtendedStreamingHistory.pdf", "SearchQueries.json", "Userdata.json"],
    );
    const nothing = entries.filter((e) => e.master_metadata_track_name === null && e.episode_name === null && e.audiobook_title === null).length;
    expect(r.skippedReasons).toEqual({ no_identifiable_item: nothing });
    expect(r.inserted).toBe(N - nothing);
    expect(await count(users.ann!)).toBe(N - nothing);

    const kinds = await t.pool.query(
      `select kind, count(*)::int as n, count(*) filter (where enrichment_status = 'pending')::int as pending
       from listens where user_id = $1 group by kind order by kind`,
      [users.ann],
    );
    const byKind = Object.fromEntries(kinds.rows.map((k) => [k.kind, k]));
    expect(Object.keys(byKind).sort()).toEqual(["audiobook", "episode", "track", "video"]);
    expect(byKind.track.pending).toBe(byKind.track.n);
    for (const k of ["audiobook", "episode", "video"]) expect(byKind[k].pending).toBe(0);
    const local = await t.pool.query(
      "select count(*)::int as n, count(source_track_id)::int as ids, count(lookup_key)::int as keys from listens where user_id = $1 and source_uri like 'spotify:local:%'",
      [users.ann],
    );
    expect(local.rows[0].n).toBeGreaterThan(0);
    expect(local.rows[0]).toMatchObject({ ids: 0, keys: local.rows[0].n });
    // offline_timestamp was in seconds before 2022 and in ms after: both read to the play's start.
    const offline = await t.pool.query(
      `select count(*)::int as n, count(*) filter (where abs(extract(epoch from (played_at - offline_at)) * 1000 - ms_played) > 2000)::int as off
       from listens where user_id = $1 and offline_at is not null`,
      [users.ann],
    );
    expect(offline.rows[0].n).toBe(N - nothing);
    expect(offline.rows[0].off).toBe(0);
  });

  it("never stores IP addresses, user agents or usernames", async () => {
    const entries = [...generateExport({ format: "extended-old", entries: 500, seed: "privacy" })];
    expect(entries.every((e) => typeof e.username === "string" && String(e.ip_addr_decrypted).startsWith("203.0.113."))).toBe(true);
    const r = await importAsUpload(t, users.eve!, await zipOf(entries, "extended-old", "privacy.zip"));
    expect(r.status).toBe("completed");
    const leaked = await t.pool.query(
      `select count(*)::int as n from listens l where user_id = $1 and (row_to_json(l)::text like '%203.0.113.%'
         or row_to_json(l)::text like '%SecretAgent%' or row_to_json(l)::text ~ '"user[0-9]+"')`,
      [users.eve],
    );
    expect(leaked.rows[0].n).toBe(0);
    const upload = await t.pool.query("select row_to_json(u)::text as j from upload_jobs u where id = $1", [r.uploadId]);
    expect(upload.rows[0].j).not.toMatch(/203\.0\.113|SecretAgent/);
  });

  it("the same export twice adds nothing, whatever the order of the files in the zip", async () => {
    const entries = [...generateExport({ format: "extended-new", entries: N, seed: "new" })];
    const again = await importAsUpload(t, users.ann!, await zipOf(entries, "extended-new", "again.zip"));
    expect(again).toMatchObject({ status: "completed", inserted: 0, upgraded: 0 });
    expect(again.duplicates).toBe(again.entries - again.skipped);
    // The same files, zipped in reverse order and under other folder names.
    const dir = path.join(await scratchDir(), "reorder");
    const { writeExportFiles } = await import("../spotify-sim/exports");
    const files = writeExportFiles(entries, dir, { format: "extended-new", maxFileBytes: 400_000 });
    const members: Record<string, Buffer> = {};
    for (const f of [...files].reverse()) members[`Other Folder/${path.basename(f)}`] = readFileSync(f);
    const reordered = await importAsUpload(t, users.ann!, await makeZip(members));
    expect(reordered).toMatchObject({ status: "completed", inserted: 0 });
    expect(await count(users.ann!)).toBe(again.duplicates);
  });

  it("two extended exports that overlap add nothing for the overlap", async () => {
    const all = [...generateExport({ format: "extended-old", entries: N, seed: "overlap" })];
    const first = await importAsUpload(t, users.bob!, await zipOf(all.slice(0, 2500), "extended-old", "a.zip"));
    const second = await importAsUpload(t, users.bob!, await zipOf(all.slice(1500), "extended-old", "b.zip"));
    const whole = await importAsUpload(t, users.bob!, await zipOf(all, "extended-old", "all.zip"));
    const known = (xs: ExportEntry[]) => xs.filter((e) => e.master_metadata_track_name !== null || e.episode_name !== null).length;
    expect(first.inserted).toBe(known(all.slice(0, 2500)));
    expect(second.inserted).toBe(known(all.slice(2500)));
    expect(second.duplicates).toBe(known(all.slice(1500, 2500)));
    expect(whole).toMatchObject({ inserted: 0, duplicates: known(all) });
    expect(await count(users.bob!)).toBe(known(all));
  });

  it("two overlapping uploads imported at the same moment: each listen once, both complete", async () => {
    const all = [...generateExport({ format: "extended-new", entries: 3000, seed: "race" })];
    const [a, b] = await Promise.all([
      importAsUpload(t, users.bob!, await zipOf(all.slice(0, 2000), "extended-new", "race-a.zip")),
      importAsUpload(t, users.bob!, await zipOf(all.slice(1000), "extended-new", "race-b.zip")),
    ]);
    expect([a.status, b.status]).toEqual(["completed", "completed"]);
    const known = all.filter((e) => e.master_metadata_track_name !== null || e.episode_name !== null || e.audiobook_title !== null).length;
    expect(a.inserted + b.inserted).toBe(known);
    const rows = await t.pool.query("select count(*)::int as n from listens where upload_id = any($1)", [[a.uploadId, b.uploadId]]);
    expect(rows.rows[0].n).toBe(known);
  });

  it("a basic export overlapping an extended one adds nothing for the overlap", async () => {
    const seed = "both";
    const extended = [...generateExport({ format: "extended-new", entries: N, seed })];
    const basic = [...generateExport({ format: "basic", entries: N, seed })];
    const e = await importAsUpload(t, users.cat!, await zipOf(extended, "extended-new", "ext.zip"));
    expect(e.status).toBe("completed");
    // A basic export covers only the last year: here, the second half of the same plays.
    const b = await importAsUpload(t, users.cat!, await zipOf(basic.slice(2000), "basic", "basic.zip"));
    expect(b.status).toBe("completed");
    expect(b.files.filter((f) => f.status === "imported").map((f) => f.format).sort()).toEqual(
      expect.arrayContaining(["basic-audiobook", "basic-music", "basic-podcast"]),
    );
    expect(b.inserted).toBe(0);
    expect(b.upgraded).toBe(0);
    expect(b.duplicates).toBe(b.entries - b.skipped);
    expect(await count(users.cat!)).toBe(e.inserted);
  });

  it("basic first, extended later: the overlap is filled in with the extended details, not doubled", async () => {
    const seed = "later";
    const basic = [...generateExport({ format: "basic", entries: N, seed })];
    const extended = [...generateExport({ format: "extended-new", entries: N, seed })];
    const b = await importAsUpload(t, users.dan!, await zipOf(basic.slice(1000), "basic", "basic.zip"));
    const e = await importAsUpload(t, users.dan!, await zipOf(extended, "extended-new", "ext.zip"));
    expect(e.status).toBe("completed");
    expect(e.upgraded).toBe(b.inserted);
    expect(e.inserted).toBe(e.entries - e.skipped - b.inserted);
    expect(await count(users.dan!)).toBe(e.entries - e.skipped);
    const rows = await t.pool.query(
      `select played_at_precision, count(*)::int as n, count(source_track_id)::int as ids from listens where user_id = $1 group by 1`,
      [users.dan],
    );
    expect(rows.rows).toEqual([expect.objectContaining({ played_at_precision: "second", n: e.entries - e.skipped })]);
    expect(rows.rows[0].ids).toBeGreaterThan(0);
  });

  it("entries that are truly distinct but share a timestamp are all kept, and keyed as documented", async () => {
    const play = { endTime: "2024-03-01 10:15", artistName: "Öla  Band", trackName: "Song", msPlayed: 1000 };
    const file = await writeTemp(
      "StreamingHistory_music_0.json",
      JSON.stringify([play, play, { ...play, msPlayed: 2000 }, { ...play, trackName: "Other" }]),
    );
    const r = await importAsUpload(t, users.eve!, file);
    expect(r).toMatchObject({ status: "completed", inserted: 4, duplicates: 0 });
    expect((await importAsUpload(t, users.eve!, file)).inserted).toBe(0);
    // The SQL computes the same key as the JavaScript reference (names normalised: case, spaces).
    const keys = await t.pool.query("select dedupe_key from listens where upload_id = $1", [r.uploadId]);
    const at = Date.UTC(2024, 2, 1, 10, 15);
    const item = "t\u001föla band\u001fsong";
    const expected = [dedupeKey(item, at, 1000, 0), dedupeKey(item, at, 1000, 1), dedupeKey(item, at, 2000, 0), dedupeKey("t\u001föla band\u001fother", at, 1000, 0)];
    expect(keys.rows.map((k) => (k.dedupe_key as Buffer).toString("hex")).sort()).toEqual(expected.map((k) => k.toString("hex")).sort());
    // The extended form of the same plays, seconds apart within that minute, adds nothing.
    const ext = (ts: string, ms: number, track = "Song") => ({
      ts, platform: "ios", ms_played: ms, conn_country: "SE", ip_addr: null,
      master_metadata_track_name: track, master_metadata_album_artist_name: "Öla Band", master_metadata_album_album_name: "A",
      spotify_track_uri: "spotify:track:0123456789abcdefghijkl", episode_name: null, episode_show_name: null, spotify_episode_uri: null,
      audiobook_title: null, audiobook_uri: null, audiobook_chapter_uri: null, audiobook_chapter_title: null,
      reason_start: "trackdone", reason_end: "trackdone", shuffle: false, skipped: false, offline: false, offline_timestamp: 0, incognito_mode: false,
    });
    const extFile = await writeTemp(
      "Streaming_History_Audio_2024.json",
      JSON.stringify([ext("2024-03-01T10:15:59Z", 1000), ext("2024-03-01T10:15:02Z", 2000), ext("2024-03-01T10:15:30Z", 1000), ext("2024-03-01T10:15:40Z", 1000, "other")]),
    );
    const x = await importAsUpload(t, users.eve!, extFile);
    expect(x).toMatchObject({ status: "completed", inserted: 0, upgraded: 4 });
  });
});
