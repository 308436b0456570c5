/**
 * Choosing the Spotify track an export's "artist + track" names mean, among search results.
 * Precision matters more than recall: a wrong match puts a stranger's song in someone's history,
 * a miss only leaves a listen without cover art.
 */

export interface Candidate {
  id: string;
  name: string;
  artists: string[];
  durationMs?: number;
}

export interface MatchResult {
  candidate: Candidate;
  confidence: number;
}

/** Below this, nothing is accepted. Tuned on the simulator's labelled catalogues and real names. */
export const MATCH_THRESHOLD = 0.82;

/** Words that mark a different recording of the same song. */
const VARIANT_MARKERS = [
  "live",
  "remix",
  "remixed",
  "mix",
  "karaoke",
  "tribute",
  "remaster",
  "remastered",
  "sped up",
  "slowed",
  "nightcore",
  "acoustic",
  "instrumental",
  "cover",
  "originally performed",
  "demo",
  "edit",
  "version",
  "unplugged",
  "rehearsal",
  "reverb",
];

/** Case, diacritics and punctuation folded; "&" and "and" alike. Non-Latin letters kept. */
export function fold(s: string): string {
  return s
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase()
    .replace(/&/g, " and ")
    // "T.N.T." is "TNT", "Don't" is "Dont": these marks join letters rather than part words.
    .replace(/[.'’`]/g, "")
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}

/** "Song (feat. X) - Radio Edit" → "song": the title without featured artists and decorations. */
function baseTitle(title: string): string {
  const noFeat = title.toLowerCase().replace(/[([]\s*(feat\.?|ft\.?|featuring|with)\s[^)\]]*[)\]]/g, " ");
  const beforeDash = noFeat.split(/\s[-–—]\s/)[0]!;
  return fold(beforeDash.replace(/[([][^)\]]*[)\]]/g, " "));
}

function markers(s: string): Set<string> {
  const f = ` ${fold(s)} `;
  return new Set(VARIANT_MARKERS.filter((m) => f.includes(` ${m} `)));
}

/** Similarity of two strings in [0, 1]: 1 - normalised Levenshtein distance. */
export function similarity(a: string, b: string): number {
  if (a === b) return 1;
  if (!a || !b) return 0;
  const m = a.length;
  const n = b.length;
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= m; i++) {
    const cur = [i];
    for (let j = 1; j <= n; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return 1 - prev[n]! / Math.max(m, n);
}

function artistSimilarity(wanted: string, candidates: string[]): number {
  const w = fold(wanted);
  let best = 0;
  for (const c of candidates) {
    const f = fold(c);
    best = Math.max(best, similarity(w, f));
    // "Artist A, Artist B" or "A & B" in an export against separate artists on Spotify.
    if (f && (w.startsWith(`${f} `) || w.endsWith(` ${f}`))) best = Math.max(best, 0.9);
  }
  return best;
}

/** Scores one candidate against the export's names. */
export function score(artist: string, title: string, c: Candidate): number {
  const full = similarity(fold(title), fold(c.name));
  const base = similarity(baseTitle(title), baseTitle(c.name));
  const titleScore = Math.max(full, base * 0.97);
  const artistScore = artistSimilarity(artist, c.artists);
  let s = 0.55 * titleScore + 0.45 * artistScore;
  // A variant the listen did not name is another recording: live, remix, karaoke, remaster, …
  const wantMarks = markers(title);
  for (const m of markers(c.name)) if (!wantMarks.has(m)) s -= 0.2;
  for (const m of wantMarks) if (!markers(c.name).has(m)) s -= 0.1;
  if (artistScore < 0.6) s -= 0.3;
  return Math.max(0, Math.min(1, s));
}

/**
 * The best candidate above the threshold. Ties go to the earlier result (Spotify's own ranking)
 * and then to the exact title.
 */
export function bestMatch(artist: string, title: string, candidates: Candidate[], threshold = MATCH_THRESHOLD): MatchResult | null {
  let best: MatchResult | null = null;
  for (const c of candidates) {
    const s = score(artist, title, c);
    if (!best || s > best.confidence + 1e-9) best = { candidate: c, confidence: s };
  }
  return best && best.confidence >= threshold ? best : null;
}
