import type { ListenKind } from "../db/schema";
import { itemKey } from "./dedupe-key";
import { listenRow, type Parsed, skip } from "./listen";
import { bool, lookupKey, msPlayed, parseOfflineTimestamp, parseTs, text, trackIdFromUri } from "./normalise";

/**
 * One entry of an Extended Streaming History file, old (21-key) or new (23-key) schema. IP
 * addresses, user agents and usernames are never read. `videoFile` is true for entries of a
 * `Streaming_History_Video_*` file, where episodes are video podcasts.
 */
export function parseExtended(entry: Record<string, unknown>, videoFile = false): Parsed {
  const playedAt = parseTs(entry.ts);
  if (playedAt === null) return skip("invalid_time");
  const ms = msPlayed(entry.ms_played);
  if (ms === null) return skip("invalid_ms_played");

  const trackName = text(entry.master_metadata_track_name);
  const artistName = text(entry.master_metadata_album_artist_name);
  const albumName = text(entry.master_metadata_album_album_name);
  const trackUri = text(entry.spotify_track_uri);
  const episodeName = text(entry.episode_name);
  const showName = text(entry.episode_show_name);
  const episodeUri = text(entry.spotify_episode_uri);
  const audiobookTitle = text(entry.audiobook_title);
  const chapterTitle = text(entry.audiobook_chapter_title);
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
    }),
  };
}
