import { foldText, words } from "./normalise";

/** What a generated track is, so tests and benchmarks can score a matcher against the truth. */
export type Variant =
  | "original"
  | "remaster"
  | "live"
  | "remix"
  | "sped_up"
  | "karaoke"
  | "tribute"
  | "homonym"
  | "acoustic"
  /** The same recording (same ISRC) on a compilation, often ranked above its original. */
  | "compilation"
  /** "Song (feat. Someone)" by the same main artist: another recording. */
  | "featured";

export interface SimArtist {
  id: string;
  name: string;
  genres: string[];
  popularity: number;
  followers: number;
}

export interface SimAlbum {
  id: string;
  name: string;
  albumType: "album" | "single" | "compilation";
  artistIds: string[];
  releaseDate: string;
  releaseDatePrecision: "year" | "month" | "day";
  label: string;
  upc: string;
  popularity: number;
  trackIds: string[];
}

export interface SimTrack {
  id: string;
  name: string;
  artistIds: string[];
  albumId: string;
  discNumber: number;
  trackNumber: number;
  durationMs: number;
  explicit: boolean;
  isrc: string;
  /** Hidden in development mode, but it still orders search results, as on Spotify. */
  popularity: number;
  variant: Variant;
  /** For variants: the original recording this one imitates. */
  originalId?: string;
  /**
   * The name an older export gives it, when Spotify renamed the track since ("Song" is now
   * "Song - Remastered 2012", "(feat. X)" is now "(with X)").
   */
  exportName?: string;
}

/** A track as an export names it: what the export generator draws listens from. */
export interface ListenableTrack {
  uri: string;
  name: string;
  artistName: string;
  albumName: string;
  durationMs: number;
}

type Field = "track" | "artist" | "album";

export interface SearchQuery {
  free: string[];
  track: string[];
  artist: string[];
  album: string[];
  isrc?: string;
  year?: { from: number; to: number };
}

/**
 * The simulator's catalogue: artists, albums and tracks by id, and an inverted index over their
 * words so search stays fast with hundreds of thousands of tracks.
 */
export class Catalogue {
  readonly artists = new Map<string, SimArtist>();
  readonly albums = new Map<string, SimAlbum>();
  readonly tracks = new Map<string, SimTrack>();
  private readonly index: Record<Field, Map<string, Set<string>>> = {
    track: new Map(),
    artist: new Map(),
    album: new Map(),
  };
  private readonly byIsrc = new Map<string, Set<string>>();

  addArtist(a: SimArtist): SimArtist {
    this.artists.set(a.id, a);
    return a;
  }

  addAlbum(a: SimAlbum): SimAlbum {
    this.albums.set(a.id, a);
    return a;
  }

  /** Adds a track to its album (which must exist) and to the search index. */
  addTrack(t: SimTrack): SimTrack {
    const album = this.albums.get(t.albumId);
    if (!album) throw new Error(`track ${t.id}: unknown album ${t.albumId}`);
    for (const id of t.artistIds) if (!this.artists.has(id)) throw new Error(`track ${t.id}: unknown artist ${id}`);
    this.tracks.set(t.id, t);
    if (!album.trackIds.includes(t.id)) album.trackIds.push(t.id);
    this.indexWords("track", t.name, t.id);
    for (const id of t.artistIds) this.indexWords("artist", this.artists.get(id)!.name, t.id);
    this.indexWords("album", album.name, t.id);
    const isrc = t.isrc.toLowerCase();
    if (!this.byIsrc.has(isrc)) this.byIsrc.set(isrc, new Set());
    this.byIsrc.get(isrc)!.add(t.id);
    return t;
  }

  private indexWords(field: Field, text: string, trackId: string) {
    for (const w of new Set(words(text))) {
      let set = this.index[field].get(w);
      if (!set) this.index[field].set(w, (set = new Set()));
      set.add(trackId);
    }
  }

  artistNames(t: SimTrack): string[] {
    return t.artistIds.map((id) => this.artists.get(id)!.name);
  }

  /** Every original recording, as an export would name it. */
  listenable(opts: { includeVariants?: boolean } = {}): ListenableTrack[] {
    const out: ListenableTrack[] = [];
    for (const t of this.tracks.values()) {
      if (!opts.includeVariants && t.variant !== "original") continue;
      out.push({
        uri: `spotify:track:${t.id}`,
        name: t.exportName ?? t.name,
        artistName: this.artists.get(t.artistIds[0]!)!.name,
        albumName: this.albums.get(t.albumId)!.name,
        durationMs: t.durationMs,
      });
    }
    return out;
  }

  /**
   * Tracks matching every term, best first: exact title matches, then the hidden popularity, as
   * Spotify's own ranking roughly does. Each word must match a whole word of its field.
   */
  search(q: SearchQuery): SimTrack[] {
    const postings: Set<string>[] = [];
    const add = (field: Field | "any", value: string) => {
      for (const w of words(value)) {
        if (field === "any") {
          const union = new Set<string>();
          for (const f of ["track", "artist", "album"] as const) for (const id of this.index[f].get(w) ?? []) union.add(id);
          postings.push(union);
        } else {
          postings.push(this.index[field].get(w) ?? new Set());
        }
      }
    };
    for (const v of q.free) add("any", v);
    for (const v of q.track) add("track", v);
    for (const v of q.artist) add("artist", v);
    for (const v of q.album) add("album", v);
    if (q.isrc) postings.push(this.byIsrc.get(q.isrc.toLowerCase()) ?? new Set());
    let candidates: Iterable<string>;
    if (postings.length === 0) {
      if (!q.year) return [];
      candidates = this.tracks.keys();
    } else {
      postings.sort((a, b) => a.size - b.size);
      const [first, ...rest] = postings;
      candidates = [...first!].filter((id) => rest.every((s) => s.has(id)));
    }
    const titleWanted = foldText([...q.track, ...q.free].join(" "));
    const out: { t: SimTrack; exact: boolean }[] = [];
    for (const id of candidates) {
      const t = this.tracks.get(id)!;
      if (q.year) {
        const y = Number(this.albums.get(t.albumId)!.releaseDate.slice(0, 4));
        if (y < q.year.from || y > q.year.to) continue;
      }
      // "Song (feat. X)" counts as an exact "Song" too: Spotify ranks featured variants that way.
      out.push({ t, exact: titleWanted !== "" && (foldText(t.name) === titleWanted || foldText(t.name.replace(/\s*\((?:feat\.|with) [^)]*\)/gi, "")) === titleWanted) });
    }
    out.sort((a, b) => Number(b.exact) - Number(a.exact) || b.t.popularity - a.t.popularity || (a.t.id < b.t.id ? -1 : 1));
    return out.map((o) => o.t);
  }
}

/**
 * Parses a Spotify search `q`: free words and `track:`, `artist:`, `album:`, `isrc:`, `year:`
 * filters, each taking one word or a "quoted value". Returns null for a query Spotify would refuse.
 */
export function parseSearchQuery(q: string): SearchQuery | null {
  const out: SearchQuery = { free: [], track: [], artist: [], album: [] };
  const re = /(?:(\w+):)?(?:"([^"]*)"|(\S+))/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(q))) {
    const key = m[1]?.toLowerCase();
    const value = m[2] ?? m[3] ?? "";
    if (!key) {
      out.free.push(value);
      continue;
    }
    switch (key) {
      case "track":
      case "artist":
      case "album":
        out[key].push(value);
        break;
      case "isrc":
        out.isrc = value;
        break;
      case "year": {
        const ym = /^(\d{4})(?:-(\d{4}))?$/.exec(value);
        if (!ym) return null;
        out.year = { from: Number(ym[1]), to: Number(ym[2] ?? ym[1]) };
        break;
      }
      default:
        // Unknown filters (genre:, tag:new, …) are read by Spotify as plain words.
        out.free.push(`${key} ${value}`);
    }
  }
  return out;
}
