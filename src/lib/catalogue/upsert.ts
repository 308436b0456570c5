import { sql, type Kysely } from "kysely";
import type { Database } from "../db/schema";
import type { SpotifyAlbum, SpotifyArtist, SpotifyTrack } from "../spotify/schemas";

/**
 * Writes what Spotify answered into the shared catalogue, set-based: one statement per table,
 * whatever the batch size. A track brings its album and (simplified) artists with it; full album
 * and artist objects fill in what a track does not carry.
 */
export async function upsertTracks(db: Kysely<Database>, tracks: SpotifyTrack[], opts: { fromAlbum?: boolean } = {}): Promise<void> {
  if (tracks.length === 0) return;
  const albums = new Map(tracks.map((t) => [t.album.id, t.album]));
  const artists = new Map<string, string>();
  for (const t of tracks) {
    for (const a of [...t.artists, ...t.album.artists]) artists.set(a.id, a.name);
  }
  await db.transaction().execute(async (tx) => {
    await upsertSimplifiedArtists(tx, artists);
    await sql`
      insert into albums (id, name, album_type, release_date, release_date_precision, total_tracks, images)
      select a.id, a.name, a.album_type, a.release_date, a.release_date_precision, a.total_tracks, coalesce(a.images, '[]')
        from jsonb_to_recordset(${JSON.stringify([...albums.values()])}::jsonb)
          as a(id text, name text, album_type text, release_date text, release_date_precision text, total_tracks int, images jsonb)
      on conflict (id) do update set
        name = excluded.name,
        album_type = coalesce(excluded.album_type, albums.album_type),
        release_date = coalesce(excluded.release_date, albums.release_date),
        release_date_precision = coalesce(excluded.release_date_precision, albums.release_date_precision),
        total_tracks = coalesce(excluded.total_tracks, albums.total_tracks),
        images = case when jsonb_array_length(excluded.images) > 0 then excluded.images else albums.images end,
        updated_at = now()`.execute(tx);
    const rows = tracks.map((t) => ({
      id: t.id,
      name: t.name,
      album_id: t.album.id,
      duration_ms: t.duration_ms,
      isrc: t.external_ids?.isrc ?? null,
      explicit: t.explicit ?? null,
      track_number: t.track_number ?? null,
      disc_number: t.disc_number ?? null,
      // An album's track list has no ISRC: such a track is fetched on its own later.
      needs_detail: opts.fromAlbum === true,
    }));
    await sql`
      insert into tracks (id, name, album_id, duration_ms, isrc, explicit, track_number, disc_number, needs_detail)
      select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        as t(id text, name text, album_id text, duration_ms int, isrc text, explicit boolean, track_number int, disc_number int, needs_detail boolean)
      on conflict (id) do update set
        name = excluded.name, album_id = excluded.album_id, duration_ms = excluded.duration_ms,
        isrc = coalesce(excluded.isrc, tracks.isrc), explicit = coalesce(excluded.explicit, tracks.explicit),
        track_number = excluded.track_number, disc_number = excluded.disc_number, fetched_at = now(),
        needs_detail = tracks.needs_detail and excluded.needs_detail`.execute(tx);
    const links = tracks.flatMap((t) => t.artists.map((a, position) => ({ track_id: t.id, position, artist_id: a.id })));
    await sql`delete from track_artists where track_id = any(${tracks.map((t) => t.id)}::text[])`.execute(tx);
    await sql`
      insert into track_artists (track_id, position, artist_id)
      select * from jsonb_to_recordset(${JSON.stringify(links)}::jsonb) as l(track_id text, position smallint, artist_id text)`.execute(tx);
  });
}

async function upsertSimplifiedArtists(db: Kysely<Database>, artists: Map<string, string>): Promise<void> {
  if (artists.size === 0) return;
  await sql`
    insert into artists (id, name)
    select * from unnest(${[...artists.keys()]}::text[], ${[...artists.values()]}::text[])
    on conflict (id) do update set name = excluded.name`.execute(db);
}

/** Full albums (GET /albums/{id}): the album row is marked fetched; its tracks come separately. */
export async function markAlbumsFetched(db: Kysely<Database>, albums: SpotifyAlbum[]): Promise<void> {
  if (albums.length === 0) return;
  await sql`
    update albums set fetched_at = now()
     where id = any(${albums.map((a) => a.id)}::text[])`.execute(db);
}

/** Full artists (GET /artists/{id}): images and genres. */
/** Artists Spotify says it does not have: marked read, so nobody asks for their page again. */
export async function markArtistsMissing(db: Kysely<Database>, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await sql`update artists set fetched_at = now(), updated_at = now() where id = any(${ids}::text[]) and fetched_at is null`.execute(db);
}

export async function upsertArtists(db: Kysely<Database>, artists: SpotifyArtist[]): Promise<void> {
  if (artists.length === 0) return;
  const rows = artists.map((a) => ({ id: a.id, name: a.name, genres: a.genres ?? null, images: a.images }));
  await sql`
    insert into artists (id, name, genres, images, fetched_at)
    select a.id, a.name,
           case when a.genres is null then null else array(select jsonb_array_elements_text(a.genres)) end,
           coalesce(a.images, '[]'), now()
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as a(id text, name text, genres jsonb, images jsonb)
    on conflict (id) do update set
      name = excluded.name, genres = excluded.genres, images = excluded.images, fetched_at = now(), updated_at = now()`.execute(db);
}
