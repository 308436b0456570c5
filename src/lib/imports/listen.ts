import type { ListenKind } from "../db/schema";

/** One entry of any export format, in the one shape Liner stores. */
export interface ListenRow {
  kind: ListenKind;
  /** End of the play, ms since the epoch, UTC. */
  playedAt: number;
  precision: "second" | "minute";
  msPlayed: number;
  trackName: string | null;
  artistName: string | null;
  albumName: string | null;
  episodeName: string | null;
  showName: string | null;
  audiobookTitle: string | null;
  chapterTitle: string | null;
  sourceUri: string | null;
  sourceTrackId: string | null;
  lookupKey: string | null;
  /** What the listen was of, as compared across exports (see dedupe-key.ts). */
  itemKey: string;
  platform: string | null;
  connCountry: string | null;
  reasonStart: string | null;
  reasonEnd: string | null;
  shuffle: boolean | null;
  skipped: boolean | null;
  offline: boolean | null;
  offlineAt: number | null;
  incognito: boolean | null;
  /**
   * A salted 32-bit hash of what an extended row holds but Liner never stores (IP address, user
   * agent, username), so that rows differing only there are not taken for one play (load.ts). It
   * lives only in the import's temporary staging table; 0 for account-data rows.
   */
  unstored: number;
}

export type SkipReason = "no_identifiable_item" | "invalid_time" | "invalid_ms_played";

/** `capped`: a name of the entry was longer than Liner keeps and was cut (the listen is kept). */
export type Parsed = { ok: true; row: ListenRow; capped: boolean } | { ok: false; reason: SkipReason };

export const skip = (reason: SkipReason): Parsed => ({ ok: false, reason });

/**
 * A row with every field in one fixed order. Parsers build rows only through here, so they all
 * share one object shape — spreading partial objects instead made rows several times slower.
 */
export function listenRow(f: Partial<ListenRow> & Pick<ListenRow, "kind" | "playedAt" | "precision" | "msPlayed" | "itemKey">): ListenRow {
  return {
    kind: f.kind,
    playedAt: f.playedAt,
    precision: f.precision,
    msPlayed: f.msPlayed,
    trackName: f.trackName ?? null,
    artistName: f.artistName ?? null,
    albumName: f.albumName ?? null,
    episodeName: f.episodeName ?? null,
    showName: f.showName ?? null,
    audiobookTitle: f.audiobookTitle ?? null,
    chapterTitle: f.chapterTitle ?? null,
    sourceUri: f.sourceUri ?? null,
    sourceTrackId: f.sourceTrackId ?? null,
    lookupKey: f.lookupKey ?? null,
    itemKey: f.itemKey,
    platform: f.platform ?? null,
    connCountry: f.connCountry ?? null,
    reasonStart: f.reasonStart ?? null,
    reasonEnd: f.reasonEnd ?? null,
    shuffle: f.shuffle ?? null,
    skipped: f.skipped ?? null,
    offline: f.offline ?? null,
    offlineAt: f.offlineAt ?? null,
    incognito: f.incognito ?? null,
    unstored: f.unstored ?? 0,
  };
}
