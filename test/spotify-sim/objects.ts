import type { Catalogue, SimAlbum, SimArtist, SimTrack } from "./catalogue";

/**
 * `development` is every app created since February 2026: no batch endpoints, and no popularity,
 * followers, available_markets, linked_from or album label. `extended` is an app with extended quota.
 */
export type Profile = "development" | "extended";

const MARKETS = ["US", "GB", "DE", "FR", "SE", "JP", "BR", "KR"];

/** Builds Web API JSON from catalogue entries, with the fields the app's profile gets. */
export class ObjectWriter {
  constructor(
    private readonly cat: Catalogue,
    private readonly baseUrl: string,
    private readonly profile: Profile,
  ) {}

  private get full() {
    return this.profile === "extended";
  }

  private href(kind: string, id: string) {
    return `${this.baseUrl}/v1/${kind}s/${id}`;
  }

  images(id: string) {
    return [640, 300, 64].map((size) => ({ url: `${this.baseUrl}/image/${id}/${size}`, height: size, width: size }));
  }

  simplifiedArtist(a: SimArtist) {
    return {
      external_urls: { spotify: `https://open.spotify.com/artist/${a.id}` },
      href: this.href("artist", a.id),
      id: a.id,
      name: a.name,
      type: "artist" as const,
      uri: `spotify:artist:${a.id}`,
    };
  }

  artist(a: SimArtist) {
    return {
      ...this.simplifiedArtist(a),
      ...(this.full ? { followers: { href: null, total: a.followers }, popularity: a.popularity } : {}),
      genres: a.genres,
      images: this.images(a.id),
    };
  }

  private artistsOf(ids: string[]) {
    return ids.map((id) => this.simplifiedArtist(this.cat.artists.get(id)!));
  }

  simplifiedAlbum(a: SimAlbum) {
    return {
      album_type: a.albumType,
      total_tracks: a.trackIds.length,
      ...(this.full ? { available_markets: MARKETS } : {}),
      external_urls: { spotify: `https://open.spotify.com/album/${a.id}` },
      href: this.href("album", a.id),
      id: a.id,
      images: this.images(a.id),
      name: a.name,
      release_date: a.releaseDate,
      release_date_precision: a.releaseDatePrecision,
      type: "album" as const,
      uri: `spotify:album:${a.id}`,
      artists: this.artistsOf(a.artistIds),
    };
  }

  private trackCore(t: SimTrack) {
    return {
      artists: this.artistsOf(t.artistIds),
      ...(this.full ? { available_markets: MARKETS } : {}),
      disc_number: t.discNumber,
      duration_ms: t.durationMs,
      explicit: t.explicit,
      external_urls: { spotify: `https://open.spotify.com/track/${t.id}` },
      href: this.href("track", t.id),
      id: t.id,
      name: t.name,
      preview_url: null,
      track_number: t.trackNumber,
      type: "track" as const,
      uri: `spotify:track:${t.id}`,
      is_local: false,
    };
  }

  simplifiedTrack(t: SimTrack) {
    return this.trackCore(t);
  }

  track(t: SimTrack) {
    return {
      album: this.simplifiedAlbum(this.cat.albums.get(t.albumId)!),
      ...this.trackCore(t),
      external_ids: { isrc: t.isrc },
      ...(this.full ? { popularity: t.popularity } : {}),
    };
  }

  paging<T>(href: string, items: T[], total: number, limit: number, offset: number) {
    const page = (o: number) => {
      const u = new URL(href);
      u.searchParams.set("offset", String(o));
      u.searchParams.set("limit", String(limit));
      return u.toString();
    };
    return {
      href: page(offset),
      items,
      limit,
      next: offset + limit < total ? page(offset + limit) : null,
      offset,
      previous: offset > 0 ? page(Math.max(0, offset - limit)) : null,
      total,
    };
  }

  albumTracksPage(a: SimAlbum, limit: number, offset: number) {
    const ids = a.trackIds.slice(offset, offset + limit);
    return this.paging(
      `${this.href("album", a.id)}/tracks`,
      ids.map((id) => this.simplifiedTrack(this.cat.tracks.get(id)!)),
      a.trackIds.length,
      limit,
      offset,
    );
  }

  album(a: SimAlbum) {
    return {
      ...this.simplifiedAlbum(a),
      tracks: this.albumTracksPage(a, 50, 0),
      copyrights: [{ text: `© ${a.releaseDate.slice(0, 4)} ${a.label}`, type: "C" }],
      external_ids: { upc: a.upc },
      genres: [],
      ...(this.full ? { label: a.label, popularity: a.popularity } : {}),
    };
  }
}
