import { describe, expect, it } from "vitest";
import { detectEntryFormat } from "../../src/lib/imports/detect-format";
import { parseBasic } from "../../src/lib/imports/parse-basic";
import { parseExtended } from "../../src/lib/imports/parse-extended";
import { capName, lookupKey, msPlayed, normaliseName, parseEndTime, parseOfflineTimestamp, parseTs, trackIdFromUri } from "../../src/lib/imports/normalise";
import { generateExport } from "../spotify-sim/exports";

const first = (format: "basic" | "extended-old" | "extended-new", pred: (e: Record<string, unknown>) => boolean) =>
  [...generateExport({ format, entries: 3000, seed: "parse" })].find(pred)!;

/** Half of a surrogate pair without the other half: what a careless cut leaves. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

describe("format detection by keys", () => {
  it("tells every shape apart, and nothing else passes", () => {
    expect(detectEntryFormat({ endTime: "2024-01-01 00:00", artistName: "a", trackName: "b", msPlayed: 1 })).toBe("basic-music");
    expect(detectEntryFormat({ endTime: "2024-01-01 00:00", podcastName: "a", episodeName: "b", msPlayed: 1 })).toBe("basic-podcast");
    expect(detectEntryFormat({ endTime: "2024-01-01 00:00", audiobookName: "a", chapterName: "b", authorName: "c", msPlayed: 1 })).toBe("basic-audiobook");
    expect(detectEntryFormat(first("extended-old", () => true))).toBe("extended-old");
    expect(detectEntryFormat(first("extended-new", () => true))).toBe("extended-new");
    expect(Object.keys(first("extended-old", () => true))).toHaveLength(21);
    expect(Object.keys(first("extended-new", () => true))).toHaveLength(23);
    for (const other of [{ searchQuery: "x", searchTime: "t" }, { ts: "x", ms_played: 1 }, [1], "x", null, 3]) {
      expect(detectEntryFormat(other)).toBeNull();
    }
  });
});

describe("values as exports write them", () => {
  it("reads times in UTC, minute or second, and refuses nonsense", () => {
    expect(parseEndTime("2023-07-22 00:03")).toEqual({ ms: Date.UTC(2023, 6, 22, 0, 3), precision: "minute" });
    expect(parseEndTime("2023-07-22 00:03:09")).toEqual({ ms: Date.UTC(2023, 6, 22, 0, 3, 9), precision: "second" });
    expect(parseTs("2022-09-07T16:30:37Z")).toBe(Date.UTC(2022, 8, 7, 16, 30, 37));
    expect(parseTs("2022-09-07T18:30:37+02:00")).toBe(Date.UTC(2022, 8, 7, 16, 30, 37));
    for (const bad of ["", "2023-13-01 00:00", "2023-07-22", "1970-01-01 00:00", null, 5]) expect(parseEndTime(bad)).toBeNull();
    for (const bad of ["2022-09-07T16:30:37", "yesterday", "1969-01-01T00:00:00Z", null]) expect(parseTs(bad)).toBeNull();
  });

  it("reads offline_timestamp in seconds, milliseconds or microseconds; 0 means none", () => {
    const at = Date.UTC(2022, 0, 15, 17, 38, 56);
    expect(parseOfflineTimestamp(at / 1000)).toBe(at);
    expect(parseOfflineTimestamp(at)).toBe(at);
    expect(parseOfflineTimestamp(at * 1000)).toBe(at);
    expect(parseOfflineTimestamp(0)).toBeNull();
    expect(parseOfflineTimestamp(null)).toBeNull();
    expect(parseOfflineTimestamp(12)).toBeNull();
  });

  it("keeps ms played whole and non-negative", () => {
    expect(msPlayed(0)).toBe(0);
    expect(msPlayed(1234.6)).toBe(1235);
    expect(msPlayed("42")).toBe(42);
    for (const bad of [-1, "x", null, 2 ** 40]) expect(msPlayed(bad)).toBeNull();
  });

  it("normalises names mildly, and keys artist + track", () => {
    expect(normaliseName("  The  BEATLES ")).toBe("the beatles");
    expect(normaliseName("Ｂｅｙｏｎｃé")).toBe("beyoncé");
    expect(normaliseName("   ")).toBeNull();
    expect(lookupKey("Öla Band", "Song")).toBe("öla band\u001fsong");
    expect(lookupKey(null, "Song")).toBeNull();
    expect(trackIdFromUri("spotify:track:4Kpt4pk9xgOlIgu9qvUrxC")).toBe("4Kpt4pk9xgOlIgu9qvUrxC");
    expect(trackIdFromUri("spotify:local:A:B:C:200")).toBeNull();
  });
});

describe("one listen shape from every format", () => {
  it("extended: tracks with ids, local files, episodes, audiobooks; never IPs or user agents", () => {
    const track = parseExtended(first("extended-old", (e) => String(e.spotify_track_uri).startsWith("spotify:track:")));
    expect(track.ok && track.row).toMatchObject({ kind: "track", precision: "second", sourceTrackId: expect.stringMatching(/^[0-9A-Za-z]{22}$/) });
    expect(JSON.stringify(track)).not.toMatch(/203\.0\.113|SecretAgent|"user\d+"/);
    const local = parseExtended(first("extended-new", (e) => String(e.spotify_track_uri).startsWith("spotify:local:")));
    expect(local.ok && local.row).toMatchObject({ kind: "track", sourceTrackId: null, lookupKey: expect.any(String) });
    const episode = parseExtended(first("extended-new", (e) => e.episode_name !== null));
    expect(episode.ok && episode.row).toMatchObject({ kind: "episode", lookupKey: null, trackName: null, showName: expect.any(String) });
    expect(parseExtended(first("extended-new", (e) => e.episode_name !== null), true)).toMatchObject({ ok: true, row: { kind: "video" } });
    const book = parseExtended(first("extended-new", (e) => e.audiobook_title !== null));
    expect(book.ok && book.row).toMatchObject({ kind: "audiobook", chapterTitle: expect.stringMatching(/^Chapter/) });
    const nothing = first("extended-old", (e) => e.master_metadata_track_name === null && e.episode_name === null);
    expect(parseExtended(nothing)).toEqual({ ok: false, reason: "no_identifiable_item" });
    expect(parseExtended({ ...nothing, spotify_track_uri: "spotify:ad:123" })).toMatchObject({ ok: true, row: { kind: "unknown" } });
  });

  it("basic: music, podcasts, audiobooks, and the Unknown placeholders", () => {
    expect(parseBasic({ endTime: "2024-01-01 10:00", artistName: "A", trackName: "B", msPlayed: 5 })).toMatchObject({
      ok: true,
      row: { kind: "track", precision: "minute", artistName: "A", trackName: "B", lookupKey: "a\u001fb", sourceUri: null },
    });
    expect(parseBasic({ endTime: "2024-01-01 10:00", podcastName: "P", episodeName: "E", msPlayed: 5 })).toMatchObject({ ok: true, row: { kind: "episode", showName: "P" } });
    expect(parseBasic({ endTime: "2024-01-01 10:00", audiobookName: "T", chapterName: "C", msPlayed: 5 })).toMatchObject({ ok: true, row: { kind: "audiobook", audiobookTitle: "T" } });
    expect(parseBasic({ endTime: "2024-01-01 10:00", artistName: "Unknown Artist", trackName: "Unknown Track", msPlayed: 5 })).toEqual({ ok: false, reason: "no_identifiable_item" });
    expect(parseBasic({ endTime: "2024-01-01 10:00", artistName: "Unknown Artist", trackName: "Real", msPlayed: 5 })).toMatchObject({ ok: true, row: { artistName: null, lookupKey: null } });
  });

  it("a basic and an extended entry of one play have the same item", () => {
    const e = parseExtended({ ts: "2024-01-01T10:00:41Z", ms_played: 5, master_metadata_track_name: "Song  ", master_metadata_album_artist_name: "The Band", spotify_track_uri: "spotify:track:0123456789abcdefghijkl" });
    const b = parseBasic({ endTime: "2024-01-01 10:00", artistName: "the band", trackName: "song", msPlayed: 5 });
    expect(e.ok && b.ok && e.row.itemKey === b.row.itemKey).toBe(true);
  });
});

describe("names longer than Liner keeps", () => {
  it("are cut at 1,000 characters, never inside a surrogate pair, and the same string comes back when short", () => {
    const short = "x".repeat(1000);
    expect(capName(short)).toBe(short);
    expect(capName(null)).toBeNull();
    // 600 emoji are 1,200 UTF-16 units but 600 characters: kept whole.
    const emoji = "😀".repeat(600);
    expect(capName(emoji)).toBe(emoji);
    for (const offset of [0, 1]) {
      const s = "a".repeat(998 + offset) + "😀".repeat(10);
      const cut = capName(s)!;
      expect([...cut]).toHaveLength(1000);
      expect(cut).not.toMatch(LONE_SURROGATE);
      expect(cut.endsWith("😀")).toBe(true);
    }
    // A lone surrogate counts as one character and is never paired with what follows it.
    expect([...capName("\ud800".repeat(1500))!]).toHaveLength(1000);
    // Cut names lose trailing spaces, as every stored text does.
    expect(capName("a".repeat(999) + " " + "b".repeat(50))).toBe("a".repeat(999));
    expect(capName(capName("é".repeat(5000)))).toBe("é".repeat(1000));
  });

  it("are counted once per entry, and the keys are made from the cut names", () => {
    const long = "L".repeat(3000);
    const b = parseBasic({ endTime: "2024-01-01 10:00", artistName: long, trackName: long, msPlayed: 5 });
    expect(b).toMatchObject({ ok: true, capped: true, row: { artistName: "L".repeat(1000), trackName: "L".repeat(1000) } });
    const e = parseExtended({ ts: "2024-01-01T10:00:41Z", ms_played: 5, master_metadata_track_name: long, master_metadata_album_artist_name: long, spotify_track_uri: null });
    expect(e).toMatchObject({ ok: true, capped: true });
    expect(b.ok && e.ok && b.row.itemKey === e.row.itemKey && b.row.lookupKey === e.row.lookupKey).toBe(true);
    expect(parseBasic({ endTime: "2024-01-01 10:00", artistName: "A", trackName: "B", msPlayed: 5 })).toMatchObject({ capped: false });
  });

  it("make keys of bounded size even when normalisation lengthens them", () => {
    const key = lookupKey("\uFDFA".repeat(1000), "\uFDFA".repeat(1000))!;
    expect(Buffer.byteLength(key)).toBeLessThanOrEqual(2 * 1200 + 1);
    expect(key).not.toMatch(LONE_SURROGATE);
    expect(normaliseName("a".repeat(1000))).toBe("a".repeat(1000));
  });
});
