import { itemKey } from "./dedupe-key";
import { listenRow, type Parsed, skip } from "./listen";
import { capName, lookupKey, msPlayed, parseEndTime, text } from "./normalise";

/** Account-data exports write these where the item is unknown (local files, removed content). */
const PLACEHOLDERS = new Set(["Unknown Artist", "Unknown Track", "Unknown Podcast", "Unknown Episode"]);

const name = (v: unknown): string | null => {
  const t = text(v);
  return t !== null && PLACEHOLDERS.has(t) ? null : t;
};

/** Two names of one entry, cut to the length Liner keeps; `capped` when either was cut. */
function names(a: unknown, b: unknown): { first: string | null; second: string | null; capped: boolean } {
  const rawFirst = name(a);
  const rawSecond = name(b);
  const first = capName(rawFirst);
  const second = capName(rawSecond);
  return { first, second, capped: first !== rawFirst || second !== rawSecond };
}

/**
 * One entry of an account-data export: end time to the minute, names, ms played. Entries are
 * classified by their own keys, so a file mixing music and podcasts still reads right.
 */
export function parseBasic(entry: Record<string, unknown>): Parsed {
  const time = parseEndTime(entry.endTime);
  if (time === null) return skip("invalid_time");
  const ms = msPlayed(entry.msPlayed);
  if (ms === null) return skip("invalid_ms_played");
  const playedAt = time.ms;
  const precision = time.precision;

  if ("trackName" in entry || "artistName" in entry) {
    const { first: artistName, second: trackName, capped } = names(entry.artistName, entry.trackName);
    const key = itemKey("track", artistName, trackName, null);
    if (key === null || trackName === null) return skip("no_identifiable_item");
    const row = listenRow({ kind: "track", playedAt, precision, msPlayed: ms, trackName, artistName, lookupKey: lookupKey(artistName, trackName), itemKey: key });
    return { ok: true, row, capped };
  }
  if ("episodeName" in entry || "podcastName" in entry) {
    const { first: showName, second: episodeName, capped } = names(entry.podcastName, entry.episodeName);
    const key = itemKey("episode", showName, episodeName, null);
    if (key === null) return skip("no_identifiable_item");
    return { ok: true, row: listenRow({ kind: "episode", playedAt, precision, msPlayed: ms, showName, episodeName, itemKey: key }), capped };
  }
  const { first: audiobookTitle, second: chapterTitle, capped } = names(entry.audiobookName, entry.chapterName);
  const key = itemKey("audiobook", audiobookTitle, chapterTitle, null);
  if (key === null) return skip("no_identifiable_item");
  return { ok: true, row: listenRow({ kind: "audiobook", playedAt, precision, msPlayed: ms, audiobookTitle, chapterTitle, itemKey: key }), capped };
}
