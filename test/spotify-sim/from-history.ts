import { Catalogue, type SimAlbum } from "./catalogue";
import { base62Id, hash32, isBase62Id, Rng } from "./random";

/** The fields of an Extended Streaming History entry the catalogue is built from. */
export interface ExtendedEntry {
  spotify_track_uri?: string | null;
  master_metadata_track_name?: string | null;
  master_metadata_album_artist_name?: string | null;
  master_metadata_album_album_name?: string | null;
  ms_played?: number | null;
}

/**
 * A catalogue holding every track of a real Extended Streaming History file, under its real id
 * and names, so matching basic-export names against it is measured on real names. With `variants`
 * each track also gets a remaster, a live and a karaoke twin, as the real catalogue has.
 */
export function catalogueFromExtendedHistory(entries: Iterable<ExtendedEntry>, opts: { variants?: boolean; seed?: string } = {}): Catalogue {
  const seed = opts.seed ?? "history";
  const rng = new Rng(seed);
  const cat = new Catalogue();
  const byUri = new Map<string, { name: string; artist: string; album: string; longest: number }>();
  for (const e of entries) {
    const uri = e.spotify_track_uri;
    if (!uri || !uri.startsWith("spotify:track:") || !e.master_metadata_track_name || !e.master_metadata_album_artist_name) continue;
    const seen = byUri.get(uri);
    const ms = e.ms_played ?? 0;
    if (seen) seen.longest = Math.max(seen.longest, ms);
    else byUri.set(uri, { name: e.master_metadata_track_name, artist: e.master_metadata_album_artist_name, album: e.master_metadata_album_album_name ?? e.master_metadata_track_name, longest: ms });
  }
  const artistId = (name: string) => {
    const id = base62Id(`${seed}:artist:${name}`);
    if (!cat.artists.has(id)) cat.addArtist({ id, name, genres: [], popularity: rng.int(5, 95), followers: rng.int(100, 1_000_000) });
    return id;
  };
  const albumFor = (name: string, artist: string, key = `${artist}\u0000${name}`): SimAlbum => {
    const id = base62Id(`${seed}:album:${key}`);
    const existing = cat.albums.get(id);
    if (existing) return existing;
    const year = 1970 + (hash32(key) % 56);
    return cat.addAlbum({ id, name, albumType: "album", artistIds: [artistId(artist)], releaseDate: `${year}-01-01`, releaseDatePrecision: "day", label: "Real Names Records", upc: String(100000000000 + (hash32(key) % 899999999999)), popularity: rng.int(5, 90), trackIds: [] });
  };
  let isrcSeq = 0;
  for (const [uri, t] of byUri) {
    const id = uri.slice("spotify:track:".length);
    if (!isBase62Id(id)) continue;
    const alb = albumFor(t.album, t.artist);
    // A listen is at most the whole track: the longest play is a fair guess at its length.
    const durationMs = Math.max(t.longest, 90_000) + rng.int(0, 2000);
    const popularity = rng.int(20, 90);
    cat.addTrack({ id, name: t.name, artistIds: [artistId(t.artist)], albumId: alb.id, discNumber: 1, trackNumber: alb.trackIds.length + 1, durationMs, explicit: false, isrc: `QZH${String(++isrcSeq).padStart(9, "0")}`, popularity, variant: "original" });
    if (!opts.variants) continue;
    const twin = (name: string, artist: string, albumName: string, variant: "remaster" | "live" | "karaoke", pop: number) => {
      const a = albumFor(albumName, artist, `${variant}\u0000${artist}`);
      cat.addTrack({ id: base62Id(`${seed}:${variant}:${id}`), name, artistIds: [artistId(artist)], albumId: a.id, discNumber: 1, trackNumber: a.trackIds.length + 1, durationMs: durationMs + rng.int(-3000, 30_000), explicit: false, isrc: `QZV${String(++isrcSeq).padStart(9, "0")}`, popularity: pop, variant, originalId: id });
    };
    twin(`${t.name} - Remastered 2015`, t.artist, "Greatest Hits (Remastered)", "remaster", Math.min(100, popularity + 5));
    twin(`${t.name} - Live`, t.artist, "Live", "live", popularity - 10);
    twin(`${t.name} (Karaoke Version)`, "Karaoke Hits Band", "Sing Along Hits", "karaoke", 15);
  }
  return cat;
}
