import {
  albumSchema,
  artistSchema,
  pagingSchema,
  searchTracksSchema,
  severalArtistsSchema,
  severalTracksSchema,
  simplifiedTrackSchema,
  trackSchema,
  type SpotifyAlbum,
  type SpotifyArtist,
  type SpotifyTrack,
} from "./schemas";
import type { WebApi } from "./web-api";

/** The Web API calls Liner makes, one function each; errors are WebApi's classes. */

export const BATCH_TRACKS = 50;
export const BATCH_ARTISTS = 50;
export const SEARCH_LIMIT = 10;

export function getTrack(api: WebApi, id: string): Promise<SpotifyTrack> {
  return api.get("tracks/{id}", `/tracks/${encodeURIComponent(id)}`, trackSchema);
}

/** Up to 50 tracks in one call; null for ids Spotify does not know. Apps in development mode get 403. */
export async function getTracks(api: WebApi, ids: string[]): Promise<(SpotifyTrack | null)[]> {
  const r = await api.get("tracks", `/tracks?ids=${ids.map(encodeURIComponent).join(",")}`, severalTracksSchema);
  return r.tracks;
}

const albumTracksPage = pagingSchema(simplifiedTrackSchema);

/**
 * A whole album with every track as a full track object (what the album page lacks — the ISRC —
 * is left out). Albums over 50 tracks cost one more call per 50.
 */
export async function getAlbumTracks(api: WebApi, id: string): Promise<{ album: SpotifyAlbum; tracks: SpotifyTrack[] }> {
  const album = await api.get("albums/{id}", `/albums/${encodeURIComponent(id)}`, albumSchema);
  const items = [...album.tracks.items];
  let next = album.tracks.next !== null && items.length < album.tracks.total ? items.length : null;
  while (next !== null) {
    const page = await api.get("albums/{id}/tracks", `/albums/${encodeURIComponent(id)}/tracks?limit=50&offset=${next}`, albumTracksPage);
    items.push(...page.items);
    next = page.next !== null && page.items.length > 0 ? items.length : null;
  }
  const { tracks: _page, ...simplified } = album;
  const tracks = items.map((t) => ({ ...t, external_ids: undefined, album: simplified }));
  return { album, tracks };
}

/**
 * Spotify refuses a search whose `q` is over 100 characters (an error answer, not results), so a
 * long name is searched by its beginning: a track or artist name that long is told apart well
 * before its end, and the results are still scored against the whole names (match.ts).
 */
export const SEARCH_QUERY_MAX = 100;

export async function searchTracks(api: WebApi, q: string): Promise<SpotifyTrack[]> {
  const r = await api.get("search", `/search?type=track&limit=${SEARCH_LIMIT}&q=${encodeURIComponent(q)}`, searchTracksSchema);
  return r.tracks.items;
}

/** Spotify's quoted filter values cannot hold a double quote. */
const unquoted = (s: string) => s.replace(/"/g, " ");

/** `s` cut to at most `max` characters (code points), at a word's end when one is near. */
export function clip(s: string, max: number): string {
  const chars = [...s];
  if (chars.length <= max) return s;
  const cut = chars.slice(0, Math.max(0, max)).join("");
  const space = cut.lastIndexOf(" ");
  return (space >= cut.length * 0.6 ? cut.slice(0, space) : cut).trim();
}

/** Shares `room` characters between two texts: the shorter keeps all it can (up to half), the longer gets the rest. */
function share(a: string, b: string, room: number): [string, string] {
  const la = [...a].length;
  const lb = [...b].length;
  if (la + lb <= room) return [a, b];
  const half = Math.floor(room / 2);
  if (la <= lb) {
    const ka = Math.min(la, half);
    return [clip(a, ka), clip(b, room - [...clip(a, ka)].length)];
  }
  const kb = Math.min(lb, half);
  return [clip(a, room - [...clip(b, kb)].length), clip(b, kb)];
}

/** `track:"…" artist:"…"`, the precise search; within SEARCH_QUERY_MAX characters whatever the names. */
export function filteredQuery(artist: string, title: string): string {
  const [t, a] = share(unquoted(title).trim(), unquoted(artist).trim(), SEARCH_QUERY_MAX - 'track:"" artist:""'.length);
  return `track:"${t}" artist:"${a}"`;
}

/** The looser search, title and artist as plain words; within SEARCH_QUERY_MAX characters. */
export function looseQuery(artist: string, title: string): string {
  const [t, a] = share(unquoted(title), unquoted(artist), SEARCH_QUERY_MAX - 1);
  return `${t} ${a}`;
}

export function getArtist(api: WebApi, id: string): Promise<SpotifyArtist> {
  return api.get("artists/{id}", `/artists/${encodeURIComponent(id)}`, artistSchema);
}

export async function getArtists(api: WebApi, ids: string[]): Promise<(SpotifyArtist | null)[]> {
  const r = await api.get("artists", `/artists?ids=${ids.map(encodeURIComponent).join(",")}`, severalArtistsSchema);
  return r.artists;
}
