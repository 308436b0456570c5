import * as crypto from "node:crypto";
import { KEY_SEPARATOR, normaliseName } from "./normalise";

// crypto.hash: one shot, no Hash object per key (Node 20.12+; Liner needs 20.19).
const sha256Hex = (data: string): string => crypto.hash("sha256", data, "hex");

/**
 * A listen's identity across uploads: what was played (item), the minute it ended, the ms played,
 * and its occurrence among look-alike (item, minute, ms) entries of the same upload.
 *
 * - Names rather than URIs identify the item, because account-data exports have no URIs: that is
 *   what lets a basic export overlapping an extended one add nothing.
 * - The minute rather than the second, because account-data exports give only the minute.
 * - The occurrence keeps truly distinct plays that look alike (same song, same minute, same ms) as
 *   distinct listens. How it is counted (load.ts, foldAndKey): extended rows over the whole upload,
 *   never per file — Spotify splits an export into files by size, so look-alike plays of one minute
 *   can straddle two files — rows identical in every field sharing one number (they are one play);
 *   basic rows within their file, the same rows in another file of the upload being the same plays.
 *   Either way n distinct plays get the keys 0…n-1 whatever the order of the files, so the same
 *   export, or any export covering that minute completely, produces the same keys again.
 * - Key = sha256(sha256(item ‖ minute ‖ ms) ‖ occurrence as 4 bytes): the inner hash is computed
 *   in JavaScript while reading, the outer in SQL once the whole upload is staged.
 * - Names are capped (normalise.ts) before the item is made, so a cut name keys the same each time.
 */

const S = KEY_SEPARATOR;

type ItemKind = "track" | "episode" | "audiobook" | "unknown";

const PREFIX: Record<ItemKind, string> = { track: "t", episode: "e", audiobook: "a", unknown: "x" };

/**
 * The item of a listen from its names (preferred) or its URI; null when nothing identifies it.
 * `first`/`second` are artist/track, show/episode, or book/chapter.
 */
export function itemKey(kind: ItemKind, first: string | null, second: string | null, uri: string | null): string | null {
  const a = normaliseName(first);
  const b = normaliseName(second);
  if (b !== null) return `${PREFIX[kind]}${S}${a ?? ""}${S}${b}`;
  if (uri !== null) return `u${S}${uri}`;
  if (a !== null) return `${PREFIX[kind]}${S}${a}${S}`;
  return null;
}

export const minuteOf = (playedAtMs: number): number => Math.floor(playedAtMs / 60_000);

/**
 * The hash of (item, minute, ms played), in hex: what identical entries share. Computed once per
 * entry, with the one-shot hash (a Hash object per entry costs more than the hashing).
 */
export function groupKeyHex(item: string, playedAtMs: number, msPlayed: number): string {
  return sha256Hex(`${item}${S}${minuteOf(playedAtMs)}${S}${msPlayed}`);
}

/** The dedupe key in JavaScript — the reference the SQL is tested against. */
export function dedupeKey(item: string, playedAtMs: number, msPlayed: number, occurrence: number): Buffer {
  const n = Buffer.alloc(4);
  n.writeInt32BE(occurrence);
  return crypto.createHash("sha256").update(Buffer.concat([Buffer.from(groupKeyHex(item, playedAtMs, msPlayed), "hex"), n])).digest();
}

/**
 * The same key in SQL over the staged rows (column group_key); `occurrence` is the SQL expression
 * numbering identical entries from 0. int4send gives the same four big-endian bytes as above.
 */
export function dedupeKeySql(occurrence: string, group = "group_key"): string {
  return `sha256(${group} || int4send((${occurrence})::int))`;
}
