import { sql, type Kysely } from "kysely";
import type { Database } from "../db/schema";

export type Period = "30d" | "90d" | "year" | "all";
export const PERIODS: Record<Period, { label: string; days: number | null }> = {
  "30d": { label: "Last 30 days", days: 30 },
  "90d": { label: "Last 90 days", days: 90 },
  year: { label: "Last year", days: 365 },
  all: { label: "All time", days: null },
};

export interface TopEntry {
  name: string;
  detail: string | null;
  image: string | null;
  plays: number;
  hours: number;
}

export interface HistoryStats {
  from: string | null;
  to: string | null;
  plays: number;
  hours: number;
  topArtists: TopEntry[];
  topTracks: TopEntry[];
  topAlbums: TopEntry[];
  timeline: { bucket: string; hours: number }[];
  genres: { genre: string; plays: number }[];
  notFound: { artist: string | null; track: string | null; reason: string | null; plays: number }[];
}

type Row = { name: string; detail: string | null; image: string | null; plays: string; ms: string };
const toTop = (rows: Row[]): TopEntry[] =>
  rows.map((r) => ({ name: r.name, detail: r.detail, image: r.image, plays: Number(r.plays), hours: Math.round((Number(r.ms) / 3_600_000) * 10) / 10 }));

/**
 * A person's history as pictures, straight from the database (never Spotify). Works before
 * enrichment — by the export's names — and shows covers, genres and merged spellings after it.
 * Plays shorter than `minMs` do not count (they stay stored).
 */
export async function historyStats(db: Kysely<Database>, userId: string, period: Period, minMs: number, limit = 12): Promise<HistoryStats> {
  const days = PERIODS[period].days;
  // The period ends at the latest listen, so an old export still shows its last year.
  const { rows: span } = await sql<{ latest: Date | null }>`select max(played_at) as latest from listens where user_id = ${userId}`.execute(db);
  const to = span[0]?.latest ?? null;
  const from = days && to ? new Date(to.getTime() - days * 86_400_000) : null;
  const scope = sql`l.user_id = ${userId} and l.kind = 'track' and l.ms_played >= ${minMs}
    and (${from}::timestamptz is null or l.played_at >= ${from}::timestamptz)`;

  const [totals, artists, tracks, albums, timeline, genres, notFound] = await Promise.all([
    sql<{ plays: string; ms: string }>`select count(*) as plays, coalesce(sum(ms_played), 0) as ms from listens l where ${scope}`.execute(db),
    sql<Row>`
      select coalesce(max(a.name), min(l.artist_name)) as name, null as detail,
             max(a.images -> 1 ->> 'url') as image, count(*) as plays, sum(l.ms_played) as ms
        from listens l
        left join track_artists ta on ta.track_id = l.spotify_track_id and ta.position = 0
        left join artists a on a.id = ta.artist_id
       where ${scope} and (a.id is not null or l.artist_name is not null)
       group by coalesce(a.id, lower(l.artist_name))
       order by count(*) desc, 1 limit ${limit}`.execute(db),
    sql<Row>`
      select coalesce(max(t.name), min(l.track_name)) as name, min(l.artist_name) as detail,
             max(al.images -> 1 ->> 'url') as image, count(*) as plays, sum(l.ms_played) as ms
        from listens l
        left join tracks t on t.id = l.spotify_track_id
        left join albums al on al.id = t.album_id
       where ${scope} and (l.spotify_track_id is not null or l.lookup_key is not null)
       group by coalesce(l.spotify_track_id, l.lookup_key)
       order by count(*) desc, 1 limit ${limit}`.execute(db),
    sql<Row>`
      select coalesce(max(al.name), min(l.album_name)) as name, min(l.artist_name) as detail,
             max(al.images -> 1 ->> 'url') as image, count(*) as plays, sum(l.ms_played) as ms
        from listens l
        left join tracks t on t.id = l.spotify_track_id
        left join albums al on al.id = t.album_id
       where ${scope} and (al.id is not null or l.album_name is not null)
       group by coalesce(al.id, lower(l.artist_name) || ' / ' || lower(l.album_name))
       order by count(*) desc, 1 limit ${limit}`.execute(db),
    sql<{ bucket: string; ms: string }>`
      select to_char(date_trunc(${days !== null && days <= 90 ? "week" : "month"}, l.played_at), 'YYYY-MM-DD') as bucket, sum(l.ms_played) as ms
        from listens l where ${scope} group by 1 order by 1`.execute(db),
    sql<{ genre: string; plays: string }>`
      select g.genre, count(*) as plays
        from listens l
        join track_artists ta on ta.track_id = l.spotify_track_id and ta.position = 0
        join artists a on a.id = ta.artist_id
        cross join lateral unnest(a.genres) as g(genre)
       where ${scope}
       group by 1 order by 2 desc, 1 limit 20`.execute(db),
    sql<{ artist: string | null; track: string | null; reason: string | null; plays: string }>`
      select min(l.artist_name) as artist, min(l.track_name) as track, min(l.enrichment_reason) as reason, count(*) as plays
        from listens l
       where l.user_id = ${userId} and l.kind = 'track' and l.enrichment_status = 'not_found'
       group by coalesce(l.source_track_id, l.lookup_key)
       order by count(*) desc limit 50`.execute(db),
  ]);
  const hours = (ms: string | number) => Math.round((Number(ms) / 3_600_000) * 10) / 10;
  return {
    from: from?.toISOString() ?? null,
    to: to?.toISOString() ?? null,
    plays: Number(totals.rows[0]!.plays),
    hours: hours(totals.rows[0]!.ms),
    topArtists: toTop(artists.rows),
    topTracks: toTop(tracks.rows),
    topAlbums: toTop(albums.rows),
    timeline: timeline.rows.map((r) => ({ bucket: r.bucket, hours: hours(r.ms) })),
    genres: genres.rows.map((r) => ({ genre: r.genre, plays: Number(r.plays) })),
    notFound: notFound.rows.map((r) => ({ ...r, plays: Number(r.plays) })),
  };
}
