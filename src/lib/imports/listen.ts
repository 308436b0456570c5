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
}

export type SkipReason = "no_identifiable_item" | "invalid_time" | "invalid_ms_played";

export type Parsed = { ok: true; row: ListenRow } | { ok: false; reason: SkipReason };

export const skip = (reason: SkipReason): Parsed => ({ ok: false, reason });
