/**
 * Which export a JSON array is, from the keys of its entries — never from the file's name, which
 * Spotify has changed several times and people change too.
 */
export type HistoryFormat =
  /** Account data `StreamingHistoryN.json` / `StreamingHistory_music_N.json`. */
  | "basic-music"
  /** Account data `StreamingHistory_podcast_N.json`. */
  | "basic-podcast"
  /** Account data `StreamingHistory_audiobook_N.json`. */
  | "basic-audiobook"
  /** Extended Streaming History, 21-key schema (`endsong_N.json`, older `Streaming_History_*`). */
  | "extended-old"
  /** Extended Streaming History, 23-key schema (audiobook fields, `ip_addr`). */
  | "extended-new";

export type FormatFamily = "basic" | "extended";

export const familyOf = (f: HistoryFormat): FormatFamily => (f.startsWith("basic") ? "basic" : "extended");

const has = (o: Record<string, unknown>, k: string) => Object.prototype.hasOwnProperty.call(o, k);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The format an entry belongs to, or null when it is not a listening-history entry. */
export function detectEntryFormat(entry: unknown): HistoryFormat | null {
  if (!isObject(entry)) return null;
  if (has(entry, "ts") && has(entry, "ms_played")) {
    const identifying = ["master_metadata_track_name", "spotify_track_uri", "episode_name", "spotify_episode_uri"];
    if (!identifying.some((k) => has(entry, k))) return null;
    return has(entry, "audiobook_title") || has(entry, "audiobook_chapter_uri") || has(entry, "ip_addr")
      ? "extended-new"
      : "extended-old";
  }
  if (has(entry, "endTime") && has(entry, "msPlayed")) {
    if (has(entry, "trackName") || has(entry, "artistName")) return "basic-music";
    if (has(entry, "episodeName") || has(entry, "podcastName")) return "basic-podcast";
    if (has(entry, "chapterName") || has(entry, "audiobookName")) return "basic-audiobook";
  }
  return null;
}
