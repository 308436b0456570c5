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

/** Text of a search filter value: Spotify's quoted values cannot hold a double quote. */
const quoted = (s: string) => `"${s.replace(/"/g, " ").trim()}"`;

export async function searchTracks(api: WebApi, q: string): Promise<SpotifyTrack[]> {
  const r = await api.get("search", `/search?type=track&limit=${SEARCH_LIMIT}&q=${encodeURIComponent(q)}`, searchTracksSchema);
  return r.tracks.items;
}

export function filteredQuery(artist: string, title: string): string {
  return `track:${quoted(title)} artist:${quoted(artist)}`;
}

export function getArtist(api: WebApi, id: string): Promise<SpotifyArtist> {
  return api.get("artists/{id}", `/artists/${encodeURIComponent(id)}`, artistSchema);
}

export async function getArtists(api: WebApi, ids: string[]): Promise<(SpotifyArtist | null)[]> {
  const r = await api.get("artists", `/artists?ids=${ids.map(encodeURIComponent).join(",")}`, severalArtistsSchema);
  return r.artists;
}
