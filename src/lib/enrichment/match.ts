/**
 * Choosing the Spotify track an export's "artist + track" names mean, among search results.
 * Precision matters more than recall: a wrong match puts a stranger's song in someone's history,
 * a miss only leaves a listen without cover art.
 *
 * A title is read in three parts: the title underneath ("core"), the artists it features ("feat.",
 * "ft.", "featuring", "with"), and its decorations (" - Live", "(Remastered 2012)", …). A featured
 * artist the export does not name makes another recording; a decoration Spotify adds to a track
 * later (a remaster, a radio edit) is accepted at a lower confidence; other decorations (live, remix,
 * karaoke, …) make another recording. Among candidates that are one recording (same ISRC, or same
 * title, artists and duration within 2 s), the original release is chosen: an album or single over a
 * compilation, then the earliest release.
 */

export interface Candidate {
  id: string;
  name: string;
  artists: string[];
  durationMs?: number;
  /** `album`, `single`, `compilation` (search results carry their album's type). */
  albumType?: string;
  /** `YYYY`, `YYYY-MM` or `YYYY-MM-DD`. */
  releaseDate?: string;
  isrc?: string;
}

export interface MatchResult {
  candidate: Candidate;
  confidence: number;
  /** Why this one: kept in `track_lookups.reason`. */
  reason: string;
}

/** What the history itself says about the track. */
export interface MatchHints {
  /** The longest play of the pair: the track lasts at least this long. */
  minDurationMs?: number | null;
}

/** Below this, nothing is accepted. Tuned on the simulator's labelled catalogues and real names. */
export const MATCH_THRESHOLD = 0.82;

/** A candidate shorter than the longest play by more than this is another version. */
export const DURATION_SLACK_MS = 5_000;

/** Same recording by names: durations within this. */
const SAME_RECORDING_MS = 2_000;

/** Words that mark a different recording of the same song. */
const VARIANT_MARKERS = [
  "live",
  "remix",
  "mix",
  "karaoke",
  "tribute",
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

/**
 * Decorations Spotify adds to a track's title after the fact, the recording unchanged: accepted when
 * the export lacks them, at this cost each (an undecorated exact title wins when there is one).
 */
const LATER_DECORATIONS: Record<string, number> = { remaster: 0.06, "radio edit": 0.08 };

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

/** One marker for one meaning: "remastered 2012", "2010 remaster" → "remaster"; "radio version" → "radio edit". */
function canonicalMarks(folded: string): string {
  return ` ${folded} `
    .replace(/ (?:\d{4} )?(?:digitally )?remaster(?:ed)?(?: \d{4})?(?: version)?(?: \d{4})? /g, " remaster ")
    .replace(/ radio (?:edit|version|mix) /g, " radio_edit ")
    .replace(/ remixed /g, " remix ")
    .replace(/ +/g, " ");
}

function markers(s: string): Set<string> {
  const f = canonicalMarks(fold(s));
  const out = new Set(VARIANT_MARKERS.filter((m) => f.includes(` ${m} `)));
  if (f.includes(" remaster ")) out.add("remaster");
  if (f.includes(" radio_edit ")) out.add("radio edit");
  return out;
}

const FEAT = /[([]\s*(?:feat\.?|ft\.?|featuring|with)\s+([^)\]]*)[)\]]/gi;
const FEAT_BARE = /\s(?:feat\.|ft\.|featuring)\s+(.+?)(?=\s[-–—]\s|\s*[([]|$)/gi;

export interface ParsedTitle {
  /** The title underneath, folded. */
  core: string;
  /** Featured artists, folded. */
  featured: string[];
}

function splitNames(s: string): string[] {
  return s
    .split(/\s*(?:,|&|\band\b|\bx\b|\+)\s*/i)
    .map(fold)
    .filter(Boolean);
}

/** "Song (feat. X & Y) - Radio Edit" → core "song", featured ["x", "y"]. */
export function parseTitle(title: string): ParsedTitle {
  const featured: string[] = [];
  let rest = title.replace(FEAT, (_, names: string) => {
    featured.push(...splitNames(names));
    return " ";
  });
  rest = rest.replace(FEAT_BARE, (_, names: string) => {
    featured.push(...splitNames(names));
    return " ";
  });
  const beforeDash = rest.split(/\s[-–—]\s/)[0]!;
  return { core: fold(beforeDash.replace(/[([][^)\]]*[)\]]/g, " ")), featured };
}

/** The title with featured artists and decorations taken out, as a second search asks for it. */
export function strippedTitle(title: string): string {
  const noFeat = title.replace(FEAT, " ").replace(FEAT_BARE, " ");
  return noFeat.split(/\s[-–—]\s/)[0]!.replace(/[([][^)\]]*[)\]]/g, " ").replace(/\s+/g, " ").trim();
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

const named = (name: string, among: string[]) => among.some((n) => n === name || similarity(n, name) >= 0.85);

export interface Evaluation {
  score: number;
  /** What cost confidence, or what was accepted: for the lookup's reason. */
  notes: string[];
}

/** Scores one candidate against the export's names, saying what it accepted and what it refused. */
export function evaluate(artist: string, title: string, c: Candidate, hints: MatchHints = {}): Evaluation {
  const notes: string[] = [];
  const want = parseTitle(title);
  const got = parseTitle(c.name);
  const full = similarity(fold(title), fold(c.name));
  const base = similarity(want.core, got.core);
  const titleScore = Math.max(full, base * 0.97);
  const artistScore = artistSimilarity(artist, c.artists);
  let s = 0.55 * titleScore + 0.45 * artistScore;

  // Featured artists: one the export does not name makes another recording ("Song (feat. Someone)"
  // by the same main artist); the same guest written "with" for "feat." is the same one.
  const wantArtist = fold(artist);
  const wantNames = [...want.featured, wantArtist, ...splitNames(artist)];
  const extra = got.featured.filter((f) => !named(f, wantNames));
  if (extra.length > 0) {
    s -= 0.25;
    notes.push(`features ${extra.join(", ")}, whom the export does not name`);
  } else if (got.featured.length > 0 && want.featured.length > 0 && full < 1) {
    notes.push("featured artists written differently");
  }
  const candidateNames = [...got.featured, ...c.artists.map(fold)];
  const missing = want.featured.filter((f) => !named(f, candidateNames));
  if (missing.length > 0) {
    s -= 0.15;
    notes.push(`lacks the featured ${missing.join(", ")}`);
  }

  // Decorations: a variant the listen did not name is another recording (live, remix, karaoke, …);
  // one Spotify adds later (a remaster, a radio edit) costs a little.
  const wantMarks = markers(title);
  const gotMarks = markers(c.name);
  for (const m of gotMarks) {
    if (wantMarks.has(m)) continue;
    if (m === "edit" && gotMarks.has("radio edit")) continue;
    if (m === "version" && (gotMarks.has("remaster") || gotMarks.has("radio edit"))) continue;
    const later = LATER_DECORATIONS[m];
    if (later !== undefined) {
      s -= later;
      notes.push(`"${m}" added since the export`);
    } else {
      s -= 0.2;
      notes.push(`a ${m} the export does not name`);
    }
  }
  for (const m of wantMarks) if (!gotMarks.has(m)) s -= 0.1;
  if (artistScore < 0.6) s -= 0.3;

  // The longest play bounds the track's length from below.
  if (hints.minDurationMs && c.durationMs !== undefined && c.durationMs < hints.minDurationMs - DURATION_SLACK_MS) {
    s -= 0.3;
    notes.push(`shorter (${Math.round(c.durationMs / 1000)} s) than the longest play (${Math.round(hints.minDurationMs / 1000)} s)`);
  }
  return { score: Math.max(0, Math.min(1, s)), notes };
}

/** Scores one candidate against the export's names. */
export function score(artist: string, title: string, c: Candidate, hints: MatchHints = {}): number {
  return evaluate(artist, title, c, hints).score;
}

const sameArtists = (a: Candidate, b: Candidate) => a.artists.map(fold).sort().join("\u0000") === b.artists.map(fold).sort().join("\u0000");

/** Same ISRC, or same title and artists and a duration within 2 s. */
export function sameRecording(a: Candidate, b: Candidate): boolean {
  if (a.isrc && b.isrc) return a.isrc.toUpperCase() === b.isrc.toUpperCase();
  return fold(a.name) === fold(b.name) && sameArtists(a, b) && a.durationMs !== undefined && b.durationMs !== undefined && Math.abs(a.durationMs - b.durationMs) <= SAME_RECORDING_MS;
}

/** An album or single is the original; a compilation (or an unknown type) comes after. */
const releaseRank = (c: Candidate) => (c.albumType === "album" || c.albumType === "single" ? 0 : 1);
/** Earliest first; a year alone sorts before that year's dated releases, unknown dates last. */
const releaseKey = (c: Candidate) => c.releaseDate ?? "9999";

const describe = (c: Candidate) => `${c.albumType ?? "release"} of ${c.releaseDate ?? "unknown date"}`;

/**
 * The best candidate above the threshold, and among the candidates that are that same recording the
 * original release. Ties go to an album or single over a compilation, then to the earlier result
 * (Spotify's own ranking).
 */
export function bestMatch(artist: string, title: string, candidates: Candidate[], threshold = MATCH_THRESHOLD, hints: MatchHints = {}): MatchResult | null {
  let best: { c: Candidate; e: Evaluation } | null = null;
  const scored = candidates.map((c) => ({ c, e: evaluate(artist, title, c, hints) }));
  for (const r of scored) if (!best || r.e.score > best.e.score + 1e-9) best = r;
  if (!best || best.e.score < threshold) return null;
  const top = best;
  const twins = scored.filter((r) => r.e.score >= threshold && r.e.score >= top.e.score - 0.02 && sameRecording(r.c, top.c));
  twins.sort((a, b) => releaseRank(a.c) - releaseRank(b.c) || (releaseKey(a.c) < releaseKey(b.c) ? -1 : releaseKey(a.c) > releaseKey(b.c) ? 1 : 0));
  let chosen = twins[0] ?? top;
  // Still a compilation's: another candidate as good on an album or single goes first.
  const onAlbum = releaseRank(chosen.c) > 0 ? scored.find((r) => r.e.score > chosen.e.score - 1e-9 && releaseRank(r.c) === 0) : undefined;
  if (onAlbum) chosen = onAlbum;
  const pct = Math.round(chosen.e.score * 100);
  const why = [`matched by name (${pct}%)`];
  if (onAlbum) why.push(`an album's or single's track over a compilation's as close`);
  else if (chosen.c.id !== top.c.id) why.push(`the original release (${describe(chosen.c)}) over the same recording on a ${describe(top.c)}`);
  else if (twins.length > 1) why.push(`the original release among ${twins.length} of the same recording`);
  if (chosen.e.notes.length > 0) why.push(chosen.e.notes.join("; "));
  return { candidate: chosen.c, confidence: chosen.e.score, reason: why.join(": ") };
}
