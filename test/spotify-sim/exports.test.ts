import { readFileSync, statSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import yauzl from "yauzl";
import { describe, expect, it } from "vitest";
import { generateExport, makeTracks, writeExportFiles, writeExportZip, type ExportEntry } from "./exports";

const gen = (format: "basic" | "extended-old" | "extended-new", entries = 5000, seed: string | number = 7) => [...generateExport({ format, entries, seed })];

describe("generated Spotify exports", () => {
  it("are deterministic for a seed and differ between seeds", () => {
    expect(JSON.stringify(gen("extended-new", 500))).toBe(JSON.stringify(gen("extended-new", 500)));
    expect(JSON.stringify(gen("extended-new", 500, 8))).not.toBe(JSON.stringify(gen("extended-new", 500)));
    expect(gen("basic", 1234)).toHaveLength(1234);
  });

  it("describe the same plays in every format", () => {
    const minute = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace("T", " ");
    const basic = gen("basic").map((e) => `${e.endTime}|${e.msPlayed}`).sort();
    const extended = gen("extended-new").map((e) => `${minute(Date.parse(String(e.ts)))}|${e.ms_played}`).sort();
    expect(extended).toEqual(basic);
  });

  it("hold the oddities real exports have", () => {
    // Starting late in 2021, so that both units of offline_timestamp appear.
    const ext = [...generateExport({ format: "extended-old", entries: 5000, seed: 7, startAt: "2021-09-01T00:00:00Z" })];
    const extNew = gen("extended-new", 5000);
    const basic = gen("basic", 5000);
    expect(ext.some((e) => e.ms_played === 0)).toBe(true);
    expect(ext.some((e) => e.master_metadata_track_name === null && e.spotify_track_uri === null && e.episode_name === null)).toBe(true);
    expect(ext.some((e) => String(e.spotify_track_uri).startsWith("spotify:local:"))).toBe(true);
    expect(ext.some((e) => e.episode_name !== null)).toBe(true);
    expect(extNew.some((e) => e.audiobook_title !== null)).toBe(true);
    const ts = ext.map((e) => String(e.ts));
    expect(ts.some((t, i) => i > 0 && t < ts[i - 1]!)).toBe(true);
    expect(new Set(ts).size).toBeLessThan(ts.length);
    expect(ext.some((e) => e.skipped === null)).toBe(true);
    // offline_timestamp: seconds before 2022, milliseconds after.
    const offline = (e: ExportEntry) => Number(e.offline_timestamp);
    expect(ext.some((e) => offline(e) < 1e11 && offline(e) > 1e9)).toBe(true);
    expect(ext.some((e) => offline(e) > 1e12)).toBe(true);
    expect(basic.some((e) => e.artistName === "Unknown Artist" && e.trackName === "Unknown Track")).toBe(true);
    expect(basic.some((e) => "podcastName" in e)).toBe(true);
    const ends = basic.map((e) => String(e.endTime));
    expect(ends.every((t, i) => i === 0 || t >= ends[i - 1]!)).toBe(true);
    expect(new Set(ends).size).toBeLessThan(ends.length);
    expect(Object.keys(ext[0]!)).toHaveLength(21);
    expect(Object.keys(extNew[0]!)).toHaveLength(23);
    expect(extNew[0]).not.toHaveProperty("username");
  });

  it("play the tracks given, when given", () => {
    const tracks = makeTracks("given", 5);
    const uris = new Set(tracks.map((t) => t.uri));
    const entries = [...generateExport({ format: "extended-new", entries: 300, seed: 1, tracks, startAt: "2024-06-01T00:00:00Z" })];
    const played = entries.map((e) => e.spotify_track_uri).filter((u): u is string => typeof u === "string" && u.startsWith("spotify:track:"));
    expect(played.length).toBeGreaterThan(100);
    expect(played.every((u) => uris.has(u))).toBe(true);
    expect(entries.every((e) => String(e.ts) >= "2024-06-01")).toBe(true);
  });

  it("are written into files of at most the given size, named as Spotify names them", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "liner-exports-"));
    const entries = gen("extended-new", 6000);
    const files = writeExportFiles(entries, path.join(dir, "ext"), { format: "extended-new", maxFileBytes: 300_000 });
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) {
      expect(statSync(f).size).toBeLessThanOrEqual(300_000);
      expect(path.basename(f)).toMatch(/^Streaming_History_(Audio|Video)_\d{4}(-\d{4})?_\d+\.json$/);
    }
    const back = files.flatMap((f) => JSON.parse(readFileSync(f, "utf8")) as ExportEntry[]);
    expect(back).toHaveLength(entries.length);
    const old = writeExportFiles(gen("extended-old", 2000), path.join(dir, "old"), { format: "extended-old", maxFileBytes: 300_000 });
    expect(old.map((f) => path.basename(f))).toEqual(expect.arrayContaining(["endsong_0.json", "endsong_1.json"]));
    const basic = writeExportFiles(gen("basic", 2000), path.join(dir, "basic"), { format: "basic", basicNaming: "old" });
    expect(basic.map((f) => path.basename(f)).sort()).toEqual(["StreamingHistory0.json", "StreamingHistory_audiobook_0.json", "StreamingHistory_podcast_0.json"]);
  });

  it("are zipped the way Spotify sends them, with the other files of an export", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "liner-exports-"));
    const zip = path.join(dir, "my_spotify_data.zip");
    const names = await writeExportZip(gen("basic", 3000), zip, { format: "basic", extras: true });
    const inZip = await new Promise<string[]>((resolve, reject) =>
      yauzl.open(zip, { lazyEntries: false }, (err, z) => {
        if (err) return reject(err);
        const found: string[] = [];
        z.on("entry", (e: yauzl.Entry) => found.push(e.fileName));
        z.on("end", () => resolve(found));
      }),
    );
    expect(inZip.sort()).toEqual([...names].sort());
    expect(inZip).toEqual(expect.arrayContaining(["Spotify Account Data/StreamingHistory_music_0.json", "Spotify Account Data/Userdata.json"]));
  });
});
