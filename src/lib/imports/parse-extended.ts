import type { ListenKind } from "../db/schema";
import { itemKey } from "./dedupe-key";
import { listenRow, type Parsed, skip } from "./listen";
import { bool, capName, lookupKey, msPlayed, parseOfflineTimestamp, parseTs, text, trackIdFromUri } from "./normalise";

/** Fields of extended rows that Liner never stores: only unstoredHash of them is ever made. */
const UNSTORED = ["ip_addr", "ip_addr_decrypted", "user_agent_decrypted", "username"] as const;

/** A random basis per process: the hash means nothing outside the import that made it. */
const SALT = (Math.random() * 0x100000000) | 0;

/** FNV-1a over the unstored fields: tells rows apart without keeping what they hold. */
export function unstoredHash(entry: Record<string, unknown>): number {
  let h = 0x811c9dc5 ^ SALT;
  for (const k of UNSTORED) {
    const v = entry[k];
    const s = typeof v === "string" ? v : v === null || v === undefined ? "" : JSON.stringify(v);
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
    h = Math.imul(h ^ 0x1f, 16777619);
  }
  return h | 0;
}

/**
 * One entry of an Extended Streaming History file, old (21-key) or new (23-key) schema. IP
 * addresses, user agents and usernames are never stored (only hashed, see ListenRow.unstored).
 * `videoFile` is true for entries of a
 * `Streaming_History_Video_*` file, where episodes are video podcasts.
 */
export function parseExtended(entry: Record<string, unknown>, videoFile = false): Parsed {
  const playedAt = parseTs(entry.ts);
  if (playedAt === null) return skip("invalid_time");
  const ms = msPlayed(entry.ms_played);
  if (ms === null) return skip("invalid_ms_played");

  // Names are cut to the length Liner keeps before anything is derived from them (keys included).
  capped = false;
  const trackName = nameOf(entry.master_metadata_track_name);
  const artistName = nameOf(entry.master_metadata_album_artist_name);
  const albumName = nameOf(entry.master_metadata_album_album_name);
  const trackUri = text(entry.spotify_track_uri);
  const episodeName = nameOf(entry.episode_name);
  const showName = nameOf(entry.episode_show_name);
  const episodeUri = text(entry.spotify_episode_uri);
  const audiobookTitle = nameOf(entry.audiobook_title);
  const chapterTitle = nameOf(entry.audiobook_chapter_title);
  const audiobookUri = text(entry.audiobook_chapter_uri) ?? text(entry.audiobook_uri);

  let kind: ListenKind;
  let key: string | null;
  let sourceUri: string | null;
  if (audiobookTitle !== null || chapterTitle !== null || audiobookUri !== null) {
    kind = "audiobook";
    sourceUri = audiobookUri;
    key = itemKey("audiobook", audiobookTitle, chapterTitle, sourceUri);
  } else if (episodeName !== null || showName !== null || episodeUri !== null) {
    kind = videoFile ? "video" : "episode";
    sourceUri = episodeUri;
    key = itemKey("episode", showName, episodeName, sourceUri);
  } else if (trackName !== null || artistName !== null || trackUri !== null) {
    sourceUri = trackUri;
    const known = trackUri === null || /^spotify:(track|local):/.test(trackUri) || trackName !== null;
    kind = known ? "track" : "unknown";
    key = itemKey(known ? "track" : "unknown", artistName, trackName, sourceUri);
  } else {
    return skip("no_identifiable_item");
  }
  if (key === null) return skip("no_identifiable_item");

  const isTrack = kind === "track";
  return {
    ok: true,
    row: listenRow({
      kind,
      playedAt,
      precision: "second",
      msPlayed: ms,
      trackName: isTrack ? trackName : null,
      artistName: isTrack ? artistName : null,
      albumName: isTrack ? albumName : null,
      episodeName: kind === "episode" || kind === "video" ? episodeName : null,
      showName: kind === "episode" || kind === "video" ? showName : null,
      audiobookTitle: kind === "audiobook" ? audiobookTitle : null,
      chapterTitle: kind === "audiobook" ? chapterTitle : null,
      sourceUri,
      sourceTrackId: isTrack ? trackIdFromUri(sourceUri) : null,
      lookupKey: isTrack ? lookupKey(artistName, trackName) : null,
      itemKey: key,
      platform: text(entry.platform),
      connCountry: text(entry.conn_country),
      reasonStart: text(entry.reason_start),
      reasonEnd: text(entry.reason_end),
      shuffle: bool(entry.shuffle),
      skipped: bool(entry.skipped),
      offline: bool(entry.offline),
      offlineAt: parseOfflineTimestamp(entry.offline_timestamp),
      incognito: bool(entry.incognito_mode),
      unstored: unstoredHash(entry),
    }),
    capped,
  };
}

/** Whether nameOf cut a name of the entry being parsed (parsing is synchronous: one entry at a time). */
let capped = false;

function nameOf(v: unknown): string | null {
  const raw = text(v);
  const cut = capName(raw);
  if (cut !== raw) capped = true;
  return cut;
}
