/**
 * Realistic Spotify data exports, generated deterministically from a seed, for tests and the import
 * benchmark. The same seed describes the same plays whatever the format, so a basic export and an
 * extended one of one seed overlap exactly — that is how the importer's dedupe is tested.
 *
 * What real exports contain and these reproduce: msPlayed 0, rows whose names and URIs are all null
 * (extended) or "Unknown Artist"/"Unknown Track" (basic), podcasts and audiobooks, `spotify:local:`
 * tracks, unsorted timestamps (extended), entries sharing a timestamp, offline_timestamp in seconds
 * in some years and milliseconds in others, files of at most ~12 MB named the way Spotify names them.
 */
import { closeSync, mkdirSync, openSync, renameSync, writeSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import yazl from "yazl";

export type ExportFormat = "basic" | "extended-old" | "extended-new";

export interface ExportTrack {
  uri: string;
  name: string;
  artistName: string;
  albumName: string;
  durationMs: number;
}

export interface GenerateOptions {
  format: ExportFormat;
  entries: number;
  seed: number | string;
  /** Tracks to play; made up from the seed when absent. */
  tracks?: ExportTrack[];
  /** When the first play ends (default 2019-01-01T00:00:00Z). */
  startAt?: Date | string;
}

export type ExportEntry = Record<string, string | number | boolean | null>;

/** A small, fast, seedable PRNG (sfc32), so every run of a seed yields the same bytes. */
export function rng(seed: number | string): () => number {
  let h = 1779033703 ^ String(seed).length;
  for (const ch of String(seed)) {
    h = Math.imul(h ^ ch.charCodeAt(0), 3432918353);
    h = (h << 13) | (h >>> 19);
  }
  const next = () => {
    h = Math.imul(h ^ (h >>> 16), 2246822507);
    h = Math.imul(h ^ (h >>> 13), 3266489909);
    return (h ^= h >>> 16) >>> 0;
  };
  let a = next(),
    b = next(),
    c = next(),
    d = next();
  return () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const SYLLABLES = ["la", "mo", "ri", "ven", "ka", "sol", "tu", "ne", "bra", "zi", "on", "el", "mar", "quo", "dé", "ñu", "sky", "lit", "ör", "fa"];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function base62(r: () => number, n = 22): string {
  let s = "";
  for (let i = 0; i < n; i++) s += BASE62[Math.floor(r() * 62)];
  return s;
}

function word(r: () => number): string {
  const n = 1 + Math.floor(r() * 3);
  let w = "";
  for (let i = 0; i < n; i++) w += pick(r, SYLLABLES);
  return w[0]!.toUpperCase() + w.slice(1);
}

function title(r: () => number, words: number): string {
  return Array.from({ length: words }, () => word(r)).join(" ");
}

/** A made-up catalogue: artists with albums of tracks, ids and names stable for a seed. */
export function makeTracks(seed: number | string, count = 2000): ExportTrack[] {
  const r = rng(`tracks:${seed}`);
  const tracks: ExportTrack[] = [];
  while (tracks.length < count) {
    const artistName = title(r, 1 + Math.floor(r() * 2));
    const albums = 1 + Math.floor(r() * 3);
    for (let a = 0; a < albums && tracks.length < count; a++) {
      const albumName = title(r, 1 + Math.floor(r() * 3));
      const n = 3 + Math.floor(r() * 10);
      for (let t = 0; t < n && tracks.length < count; t++) {
        tracks.push({
          uri: `spotify:track:${base62(r)}`,
          name: title(r, 1 + Math.floor(r() * 4)),
          artistName,
          albumName,
          durationMs: 90_000 + Math.floor(r() * 240_000),
        });
      }
    }
  }
  return tracks;
}

interface Show {
  name: string;
  episodes: { uri: string; name: string; durationMs: number }[];
  video: boolean;
}

function makeShows(r: () => number): Show[] {
  return Array.from({ length: 6 }, (_, i) => ({
    name: `${title(r, 2)} Podcast`,
    video: i === 0,
    episodes: Array.from({ length: 30 }, (_, e) => ({
      uri: `spotify:episode:${base62(r)}`,
      name: `#${e + 1} ${title(r, 3)}`,
      durationMs: 600_000 + Math.floor(r() * 3_000_000),
    })),
  }));
}

function makeBooks(r: () => number) {
  return Array.from({ length: 2 }, () => ({
    title: title(r, 3),
    uri: `spotify:show:${base62(r)}`,
    chapters: Array.from({ length: 20 }, (_, c) => ({ uri: `spotify:episode:${base62(r)}`, title: `Chapter ${c + 1}` })),
  }));
}

/** One play, independent of the format it is written in. */
interface Play {
  kind: "track" | "local" | "episode" | "audiobook" | "nothing";
  end: number;
  ms: number;
  track?: ExportTrack;
  show?: Show;
  episode?: Show["episodes"][number];
  book?: ReturnType<typeof makeBooks>[number];
  chapter?: { uri: string; title: string };
  platform: string;
  country: string;
  reasonStart: string;
  reasonEnd: string;
  shuffle: boolean;
  skipped: boolean | null;
  offline: boolean;
  incognito: boolean;
}

const PLATFORMS = ["android", "ios", "windows", "osx", "web_player", "Android OS 12 API 31 (samsung, SM-G781U)", "Partner sonos_one Sonos;Sonos One", "iOS 16.1 (iPhone14,2)"];
const COUNTRIES = ["US", "GB", "DE", "FR", "SE", "BR", "JP", "ZZ"];
const STARTS = ["trackdone", "clickrow", "fwdbtn", "backbtn", "playbtn", "appload", "remote", "trackerror"];

/** The plays of a seed: mostly in time order, several years of listening. */
function* plays(opts: GenerateOptions): Generator<Play> {
  const r = rng(`plays:${opts.seed}`);
  const tracks = opts.tracks && opts.tracks.length > 0 ? opts.tracks : makeTracks(opts.seed);
  const shows = makeShows(rng(`shows:${opts.seed}`));
  const books = makeBooks(rng(`books:${opts.seed}`));
  let t = new Date(opts.startAt ?? "2019-01-01T00:00:00Z").getTime();
  // A skewed popularity: a few tracks are played often, most rarely (what real histories look like).
  const popular = () => tracks[Math.floor(Math.pow(r(), 2.2) * tracks.length)]!;
  let previous: Play | undefined;
  for (let i = 0; i < opts.entries; i++) {
    const x = r();
    // An identical play at the identical time: rare, but exports have them and they are distinct listens.
    if (previous && x < 0.004) {
      yield { ...previous };
      continue;
    }
    const kindRoll = r();
    const kind: Play["kind"] =
      kindRoll < 0.88 ? "track" : kindRoll < 0.9 ? "local" : kindRoll < 0.96 ? "episode" : kindRoll < 0.975 ? "audiobook" : "nothing";
    const track = kind === "track" || kind === "local" ? popular() : undefined;
    const show = kind === "episode" ? pick(r, shows) : undefined;
    const episode = show ? pick(r, show.episodes) : undefined;
    const book = kind === "audiobook" ? pick(r, books) : undefined;
    const chapter = book ? pick(r, book.chapters) : undefined;
    const duration = track?.durationMs ?? episode?.durationMs ?? 1_800_000;
    const m = r();
    const ms = m < 0.03 ? 0 : m < 0.3 ? Math.floor(r() * 30_000) : m < 0.4 ? Math.floor(r() * duration) : duration - Math.floor(r() * 2000);
    // Most plays follow each other; sometimes a pause of minutes, hours or days. Skips cluster in a minute.
    const g = r();
    const gap = g < 0.7 ? Math.floor(r() * 3000) : g < 0.9 ? Math.floor(r() * 600_000) : g < 0.99 ? Math.floor(r() * 36_000_000) : Math.floor(r() * 400_000_000);
    t += Math.max(ms, 1000) + gap;
    const play: Play = {
      kind,
      end: Math.floor(t / 1000) * 1000,
      ms,
      track,
      show,
      episode,
      book,
      chapter,
      platform: PLATFORMS[Math.floor(Math.pow(r(), 3) * PLATFORMS.length)]!,
      country: COUNTRIES[Math.floor(Math.pow(r(), 4) * COUNTRIES.length)]!,
      reasonStart: pick(r, STARTS),
      reasonEnd: ms < duration - 5000 ? pick(r, ["fwdbtn", "endplay", "logout", "unexpected-exit"]) : "trackdone",
      shuffle: r() < 0.4,
      skipped: r() < 0.7 ? null : ms < 30_000,
      offline: r() < 0.05,
      incognito: r() < 0.01,
    };
    previous = play;
    yield play;
  }
}

const pad = (n: number) => String(n).padStart(2, "0");

function minuteText(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

const videoEntries = new WeakSet<object>();

/** Whether a generated extended entry belongs in a `Streaming_History_Video_*` file. */
export const isVideoEntry = (entry: ExportEntry): boolean => videoEntries.has(entry);

function localUri(track: ExportTrack): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, "+");
  return `spotify:local:${enc(track.artistName)}:${enc(track.albumName)}:${enc(track.name)}:${Math.round(track.durationMs / 1000)}`;
}

function basicEntry(p: Play): ExportEntry {
  const endTime = minuteText(p.end);
  switch (p.kind) {
    case "episode":
      return { endTime, podcastName: p.show!.name, episodeName: p.episode!.name, msPlayed: p.ms };
    case "audiobook":
      return { endTime, audiobookName: p.book!.title, chapterName: p.chapter!.title, msPlayed: p.ms };
    case "nothing":
      return { endTime, artistName: "Unknown Artist", trackName: "Unknown Track", msPlayed: p.ms };
    default:
      return { endTime, artistName: p.track!.artistName, trackName: p.track!.name, msPlayed: p.ms };
  }
}

function extendedEntry(p: Play, format: "extended-old" | "extended-new", r: () => number): ExportEntry {
  const start = p.end - p.ms;
  // Spotify wrote offline_timestamp in seconds in earlier years and in milliseconds later.
  const offlineTs = new Date(p.end).getUTCFullYear() < 2022 ? Math.floor(start / 1000) : start;
  const isTrack = p.kind === "track" || p.kind === "local";
  const e: ExportEntry = { ts: new Date(p.end).toISOString().replace(".000Z", "Z") };
  if (format === "extended-old") e.username = `user${Math.floor(r() * 1e6)}`;
  e.platform = p.platform;
  e.ms_played = p.ms;
  e.conn_country = p.country;
  const ip = `203.0.113.${1 + Math.floor(r() * 254)}`;
  if (format === "extended-old") {
    e.ip_addr_decrypted = ip;
    e.user_agent_decrypted = r() < 0.5 ? "unknown" : "Mozilla/5.0 (SecretAgent)";
  } else {
    e.ip_addr = ip;
  }
  e.master_metadata_track_name = isTrack ? p.track!.name : null;
  e.master_metadata_album_artist_name = isTrack ? p.track!.artistName : null;
  e.master_metadata_album_album_name = isTrack ? p.track!.albumName : null;
  e.spotify_track_uri = p.kind === "track" ? p.track!.uri : p.kind === "local" ? localUri(p.track!) : null;
  e.episode_name = p.kind === "episode" ? p.episode!.name : null;
  e.episode_show_name = p.kind === "episode" ? p.show!.name : null;
  e.spotify_episode_uri = p.kind === "episode" ? p.episode!.uri : null;
  if (format === "extended-new") {
    e.audiobook_title = p.kind === "audiobook" ? p.book!.title : null;
    e.audiobook_uri = p.kind === "audiobook" ? p.book!.uri : null;
    e.audiobook_chapter_uri = p.kind === "audiobook" ? p.chapter!.uri : null;
    e.audiobook_chapter_title = p.kind === "audiobook" ? p.chapter!.title : null;
  }
  e.reason_start = p.reasonStart;
  e.reason_end = p.reasonEnd;
  e.shuffle = p.shuffle;
  e.skipped = p.skipped;
  e.offline = p.offline;
  e.offline_timestamp = offlineTs;
  e.incognito_mode = p.incognito;
  if (p.kind === "episode" && p.show!.video && format === "extended-new") videoEntries.add(e);
  return e;
}

/**
 * The entries of an export of `opts.entries` plays. The old extended schema has no audiobooks:
 * those plays come out as rows with every name null, as old exports show them.
 */
export function* generateExport(opts: GenerateOptions): Generator<ExportEntry> {
  const r = rng(`format:${opts.seed}`);
  if (opts.format === "basic") {
    for (const p of plays(opts)) yield basicEntry(p);
    return;
  }
  const format = opts.format;
  let held: ExportEntry | undefined;
  for (const p of plays(opts)) {
    const play = format === "extended-old" && p.kind === "audiobook" ? { ...p, kind: "nothing" as const } : p;
    const e = extendedEntry(play, format, r);
    // Real extended exports are not sorted: now and then two neighbours come out swapped.
    if (held) {
      yield e;
      yield held;
      held = undefined;
    } else if (r() < 0.05) {
      held = e;
    } else {
      yield e;
    }
  }
  if (held) yield held;
}

export interface WriteOptions {
  format: ExportFormat;
  /** Largest file, in bytes (Spotify's are about 12 MB). */
  maxFileBytes?: number;
  /** Basic exports: `StreamingHistory0.json` (old) or `StreamingHistory_music_0.json` (new). */
  basicNaming?: "old" | "new";
  /** Extended exports: `endsong_0.json` (old) or `Streaming_History_Audio_2019-2020_0.json` (new). */
  extendedNaming?: "old" | "new";
}

interface OpenFile {
  fd: number;
  path: string;
  bytes: number;
  count: number;
  firstYear: number;
  lastYear: number;
}

function groupOf(entry: ExportEntry, opts: WriteOptions): string {
  if (opts.format === "basic") {
    const kind = "podcastName" in entry ? "podcast" : "audiobookName" in entry ? "audiobook" : "music";
    return (opts.basicNaming ?? "new") === "old" && kind === "music" ? "" : kind;
  }
  return isVideoEntry(entry) ? "Video" : "Audio";
}

function fileName(group: string, index: number, file: OpenFile, opts: WriteOptions): string {
  if (opts.format === "basic") return group === "" ? `StreamingHistory${index}.json` : `StreamingHistory_${group}_${index}.json`;
  if ((opts.extendedNaming ?? (opts.format === "extended-old" ? "old" : "new")) === "old") {
    return group === "Video" ? `endvideo_${index}.json` : `endsong_${index}.json`;
  }
  const years = file.firstYear === file.lastYear ? `${file.firstYear}` : `${file.firstYear}-${file.lastYear}`;
  return `Streaming_History_${group}_${years}_${index}.json`;
}

/**
 * Writes entries into JSON files of at most `maxFileBytes` in `dir`, streaming (one entry in
 * memory at a time), split and named the way Spotify does. Returns the files' paths.
 */
export function writeExportFiles(entries: Iterable<ExportEntry>, dir: string, opts: WriteOptions): string[] {
  mkdirSync(dir, { recursive: true });
  const max = opts.maxFileBytes ?? 12 * 1024 * 1024;
  const open = new Map<string, OpenFile>();
  const counters = new Map<string, number>();
  const written: string[] = [];
  const close = (group: string) => {
    const f = open.get(group)!;
    writeSync(f.fd, "\n]\n");
    closeSync(f.fd);
    const index = counters.get(group) ?? 0;
    counters.set(group, index + 1);
    const final = path.join(dir, fileName(group, index, f, opts));
    renameSync(f.path, final);
    written.push(final);
    open.delete(group);
  };
  let n = 0;
  for (const entry of entries) {
    const group = groupOf(entry, opts);
    const text = JSON.stringify(entry);
    const year = Number(String(entry.ts ?? entry.endTime).slice(0, 4));
    let f = open.get(group);
    if (f && f.bytes + text.length + 4 > max) {
      close(group);
      f = undefined;
    }
    if (!f) {
      const tmp = path.join(dir, `.part-${n++}-${group}`);
      f = { fd: openSync(tmp, "w"), path: tmp, bytes: 2, count: 0, firstYear: year, lastYear: year };
      writeSync(f.fd, "[\n");
      open.set(group, f);
    }
    const piece = (f.count > 0 ? ",\n" : "") + text;
    writeSync(f.fd, piece);
    f.bytes += Buffer.byteLength(piece);
    f.count++;
    f.firstYear = Math.min(f.firstYear, year);
    f.lastYear = Math.max(f.lastYear, year);
  }
  for (const group of [...open.keys()]) close(group);
  return written.sort();
}

export interface ZipOptions extends WriteOptions {
  /** Folder inside the zip (default: the one Spotify uses for the format). */
  folder?: string;
  /** Add the other files a real export holds (a PDF, user data, playlists, search queries). */
  extras?: boolean;
}

/** Extra members of a real export that are not listening history and must be ignored. */
function extraMembers(folder: string): { name: string; data: Buffer }[] {
  const json = (v: unknown) => Buffer.from(JSON.stringify(v, null, 2));
  return [
    { name: `${folder}ReadMeFirst_ExtendedStreamingHistory.pdf`, data: Buffer.from("%PDF-1.4\n% not really a PDF\n") },
    { name: `${folder}Userdata.json`, data: json({ username: "someone", email: "someone@example.com", country: "SE" }) },
    { name: `${folder}Playlist1.json`, data: json({ playlists: [{ name: "Mix", items: [] }] }) },
    { name: `${folder}SearchQueries.json`, data: json([{ platform: "ANDROID", searchTime: "2023-01-01T10:00:00Z", searchQuery: "la" }]) },
    { name: `${folder}Marquee.json`, data: json([{ artistName: "X", segment: "Light listeners" }]) },
    { name: `${folder}Follow.json`, data: json({ followerCount: 1, followingUsersCount: 2 }) },
  ];
}

/**
 * Writes an export as the zip Spotify sends (`my_spotify_data.zip`): the files in their folder,
 * plus the other files of a real export when `extras` is set. Streams; returns the member names.
 */
export async function writeExportZip(entries: Iterable<ExportEntry>, zipPath: string, opts: ZipOptions): Promise<string[]> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), "liner-export-"));
  try {
    const files = writeExportFiles(entries, tmp, opts);
    const folder =
      opts.folder ?? (opts.format === "basic" ? "Spotify Account Data/" : "Spotify Extended Streaming History/");
    const zip = new yazl.ZipFile();
    const names: string[] = [];
    for (const f of files) {
      const name = `${folder}${path.basename(f)}`;
      zip.addFile(f, name);
      names.push(name);
    }
    if (opts.extras) {
      for (const extra of extraMembers(folder)) {
        zip.addBuffer(extra.data, extra.name);
        names.push(extra.name);
      }
    }
    zip.end();
    const out = createWriteStream(zipPath);
    zip.outputStream.pipe(out);
    await once(out, "close");
    return names;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
