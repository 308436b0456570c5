/**
 * Text and value clean-up shared by every export format. The same function feeds dedupe keys and
 * lookup keys, so a basic and an extended export of one listen agree on what it was.
 */

const CONTROL = /[\u0000-\u001f\u007f]+/g;

/** A stored text value: trimmed, NUL-free (PostgreSQL text cannot hold it), empty → null. */
export function text(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const v = value.includes("\u0000") ? value.replace(/\u0000/g, "") : value;
  const t = v.trim();
  return t === "" ? null : t;
}

/** The longest name Liner keeps, in characters (code points); real names stay far below it. */
export const NAME_MAX_CHARS = 1000;

/**
 * A name cut to NAME_MAX_CHARS characters, never between the two halves of a surrogate pair.
 * Returns the very same string when it is short enough, so callers can tell a cut by identity.
 */
export function capName(name: string | null): string | null {
  // At most NAME_MAX_CHARS UTF-16 units is at most that many characters: the common case.
  if (name === null || name.length <= NAME_MAX_CHARS) return name;
  let units = 0;
  for (let chars = 0; chars < NAME_MAX_CHARS && units < name.length; chars++) {
    const c = name.charCodeAt(units);
    const pair = c >= 0xd800 && c <= 0xdbff && units + 1 < name.length && (name.charCodeAt(units + 1) & 0xfc00) === 0xdc00;
    units += pair ? 2 : 1;
  }
  return units >= name.length ? name : name.slice(0, units).trimEnd();
}

/**
 * The most a normalised name takes in a key, in UTF-8 bytes. A lookup key is two of them and a
 * separator (at most 2,401 bytes), so it fits a btree entry (2,704 bytes) in track_lookups and in
 * enrichment_claims ('k:' + key) even when normalisation lengthens a capped name (NFKC turns some
 * single characters into eighteen).
 */
export const KEY_NAME_MAX_BYTES = 1200;

function capBytes(s: string): string {
  // UTF-8 takes at most three bytes per UTF-16 unit: only long strings need measuring.
  if (s.length * 3 <= KEY_NAME_MAX_BYTES || Buffer.byteLength(s) <= KEY_NAME_MAX_BYTES) return s;
  let bytes = 0;
  let units = 0;
  while (units < s.length) {
    const c = s.charCodeAt(units);
    const pair = c >= 0xd800 && c <= 0xdbff && units + 1 < s.length && (s.charCodeAt(units + 1) & 0xfc00) === 0xdc00;
    const size = pair ? 4 : c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
    if (bytes + size > KEY_NAME_MAX_BYTES) break;
    bytes += size;
    units += pair ? 2 : 1;
  }
  return s.slice(0, units).trimEnd();
}

/**
 * Names compared for identity: Unicode-normalised, case-folded, whitespace and control characters
 * collapsed, and no longer than KEY_NAME_MAX_BYTES. Deliberately mild (accents and punctuation kept) so that two different songs do not
 * collapse into one; only the differences exports really show (case, spacing) are ignored.
 */
export function normaliseName(name: string | null): string | null {
  if (name === null) return null;
  let n = cache.get(name);
  if (n === undefined) {
    const folded = capBytes((PLAIN.test(name) ? name : name.normalize("NFKC").replace(CONTROL, " ")).toLowerCase().replace(/\s+/g, " ").trim());
    n = folded === "" ? null : folded;
    // Histories repeat the same names thousands of times: remember recent ones, within bounds.
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(name, n);
  }
  return n;
}

/** Printable ASCII needs no Unicode normalisation. */
const PLAIN = /^[\x20-\x7e]*$/;
const CACHE_MAX = 20_000;
const cache = new Map<string, string | null>();

/** Separates the parts of a key; normaliseName removes it from names, so keys cannot collide. */
export const KEY_SEPARATOR = "\u001f";

/** The normalised "artist + track" that groups listens into items and keys the lookup cache. */
export function lookupKey(artist: string | null, track: string | null): string | null {
  const a = normaliseName(artist);
  const t = normaliseName(track);
  return a !== null && t !== null ? `${a}${KEY_SEPARATOR}${t}` : null;
}

const TRACK_URI = /^spotify:track:([0-9A-Za-z]{22})$/;

/** The 22-character id of a `spotify:track:` URI; null for local files and anything else. */
export function trackIdFromUri(uri: string | null): string | null {
  if (uri === null) return null;
  const m = TRACK_URI.exec(uri);
  return m ? m[1]! : null;
}

export function bool(value: unknown): boolean | null {
  return typeof value === "boolean" ? value : null;
}

const MAX_INT4 = 2_147_483_647;

/** ms played as a whole number ≥ 0, or null when the value cannot be one. */
export function msPlayed(value: unknown): number | null {
  const n = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : NaN;
  if (!Number.isFinite(n) || n < 0) return null;
  const r = Math.round(n);
  return r <= MAX_INT4 ? r : null;
}

const MIN_TIME = Date.UTC(2000, 0, 1);
const MAX_TIME = Date.UTC(2100, 0, 1);

const plausible = (ms: number) => ms >= MIN_TIME && ms < MAX_TIME;

const ISO_SECOND = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;

/** Extended exports' `ts` (ISO 8601, UTC). Null when missing, unparseable or implausible. */
export function parseTs(value: unknown): number | null {
  if (typeof value !== "string") return null;
  const m = ISO_SECOND.exec(value);
  const ms = m
    ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)
    : /\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/.test(value)
      ? Date.parse(value)
      : NaN;
  return Number.isFinite(ms) && plausible(ms) ? ms : null;
}

const END_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/;

/** Account-data exports' `endTime` ("2023-07-22 00:03", UTC): the minute, or null. */
export function parseEndTime(value: unknown): { ms: number; precision: "minute" | "second" } | null {
  if (typeof value !== "string") return null;
  const m = END_TIME.exec(value.trim());
  if (!m) return null;
  const [mo, d, h, mi, s] = [+m[2]!, +m[3]!, +m[4]!, +m[5]!, m[6] === undefined ? 0 : +m[6]];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return null;
  const ms = Date.UTC(+m[1]!, mo - 1, d, h, mi, s);
  return plausible(ms) ? { ms, precision: m[6] === undefined ? "minute" : "second" } : null;
}

/**
 * `offline_timestamp` comes in seconds in some exports and milliseconds in others (microseconds
 * have been seen too); 0 means "not offline". Read by magnitude, kept only when plausible.
 */
export function parseOfflineTimestamp(value: unknown): number | null {
  const n = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : NaN;
  if (!Number.isFinite(n) || n <= 0) return null;
  const ms = n < 1e11 ? n * 1000 : n < 1e14 ? n : n / 1000;
  return plausible(ms) ? Math.round(ms) : null;
}
