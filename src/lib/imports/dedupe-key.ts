import * as crypto from "node:crypto";
import { KEY_SEPARATOR, normaliseName } from "./normalise";

// crypto.hash (one shot, no Hash object) arrived in Node 20.12; Liner supports 20.9.
const sha256Hex: (data: string) => string =
  typeof crypto.hash === "function"
    ? (data) => crypto.hash("sha256", data, "hex")
    : (data) => crypto.createHash("sha256").update(data, "utf8").digest("hex");

/**
 * A listen's identity across uploads: what was played (item), the minute it ended, the ms played,
 * and its occurrence among identical (item, minute, ms) entries of the same upload.
 *
 * - Names rather than URIs identify the item, because account-data exports have no URIs: that is
 *   what lets a basic export overlapping an extended one add nothing.
 * - The minute rather than the second, because account-data exports give only the minute.
 * - The occurrence index keeps two truly distinct plays that look alike (same song, same minute,
 *   same ms) as two listens. It is counted over the whole upload, never per file: Spotify splits
 *   an export into files by size, so identical plays of one minute can straddle two files, and
 *   counting per file would give both index 0 and lose one. Over the whole upload, n identical
 *   entries always get the keys 0…n-1, whatever the order of the files — so the same export, or
 *   any export covering that minute completely, produces the same keys again.
 * - Key = sha256(sha256(item ‖ minute ‖ ms) ‖ occurrence as 4 bytes): the inner hash is computed
 *   in JavaScript while reading, the outer in SQL once the whole upload is staged.
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

/**
 * How identical entries are put in order before numbering: by full time, then as they came. Which
 * of two entries identical to the second gets which number depends on file order, but the set of
 * keys does not — and that is all deduplication needs.
 */
export const OCCURRENCE_ORDER = "played_at_ms, seq";
