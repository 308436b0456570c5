import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { upsertArtists, upsertTracks } from "../../src/lib/catalogue/upsert";
import type { SpotifyTrack } from "../../src/lib/spotify/schemas";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

const img = (n: number) => [{ url: `http://img/${n}-640.jpg`, width: 640, height: 640 }];
const track = (id: string, albumId: string, artistIds: string[], extra: Partial<SpotifyTrack> = {}): SpotifyTrack => ({
  id,
  name: `Track ${id}`,
  duration_ms: 200_000,
  explicit: false,
  track_number: 1,
  disc_number: 1,
  external_ids: { isrc: `US${id.toUpperCase()}` },
  album: { id: albumId, name: `Album ${albumId}`, album_type: "album", release_date: "2020-01-01", release_date_precision: "day", total_tracks: 10, images: img(1), artists: [{ id: artistIds[0]!, name: `Artist ${artistIds[0]}` }] },
  artists: artistIds.map((a) => ({ id: a, name: `Artist ${a}` })),
  ...extra,
});

describe("catalogue upserts", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t.drop());

  it("writes tracks with their album, artists and ISRC in one go", async () => {
    await upsertTracks(t.db, [track("t1", "al1", ["ar1", "ar2"]), track("t2", "al1", ["ar1"])]);
    const tracks = await t.db.selectFrom("tracks").selectAll().orderBy("id").execute();
    expect(tracks.map((r) => [r.id, r.album_id, r.isrc])).toEqual([["t1", "al1", "UST1"], ["t2", "al1", "UST2"]]);
    const links = await t.db.selectFrom("track_artists").selectAll().orderBy("track_id").orderBy("position").execute();
    expect(links.map((l) => `${l.track_id}:${l.position}:${l.artist_id}`)).toEqual(["t1:0:ar1", "t1:1:ar2", "t2:0:ar1"]);
    const album = await t.db.selectFrom("albums").selectAll().where("id", "=", "al1").executeTakeFirstOrThrow();
    expect(album.images).toEqual(img(1));
    expect(album.fetched_at).toBeNull();
  });

  it("is idempotent, keeps images a later answer lacks, and replaces a track's artist list", async () => {
    const again = track("t1", "al1", ["ar2"]);
    again.album.images = [];
    await upsertTracks(t.db, [again]);
    const album = await t.db.selectFrom("albums").select("images").where("id", "=", "al1").executeTakeFirstOrThrow();
    expect(album.images).toEqual(img(1));
    const links = await t.db.selectFrom("track_artists").select("artist_id").where("track_id", "=", "t1").execute();
    expect(links.map((l) => l.artist_id)).toEqual(["ar2"]);
    expect(Number((await t.db.selectFrom("tracks").select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow()).n)).toBe(2);
  });

  it("fills artist details (images, genres) and marks them fetched", async () => {
    await upsertArtists(t.db, [{ id: "ar1", name: "Artist ar1", genres: ["indie pop"], images: img(2) }, { id: "ar9", name: "New", images: [] }]);
    const rows = await t.db.selectFrom("artists").selectAll().where("id", "in", ["ar1", "ar9"]).orderBy("id").execute();
    expect(rows[0]).toMatchObject({ genres: ["indie pop"], images: img(2) });
    expect(rows[0]!.fetched_at).not.toBeNull();
    expect(rows[1]).toMatchObject({ id: "ar9", genres: null });
  });
});
