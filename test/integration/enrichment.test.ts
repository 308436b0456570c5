import { sql } from "kysely";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Config } from "../../src/lib/config/env";
import { retryItems } from "../../src/lib/enrichment/backlog";
import { enrichListens } from "../../src/lib/enrichment/enrich-listens";
import { generateCatalogue, startSpotifySimulator, type SimTrack, type SpotifySimulator } from "../spotify-sim";
import { addListens, callsByEndpoint, connectedUser, enrichConfig, enrichContext, statusCounts } from "../support/enrichment";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

const catalogue = generateCatalogue({ seed: "enrich", artists: 25 });
const originals = [...catalogue.tracks.values()].filter((t) => t.variant === "original" && !t.name.includes("(feat."));
const artistOf = (t: SimTrack) => catalogue.artists.get(t.artistIds[0]!)!.name;
const albumOf = (t: SimTrack) => catalogue.albums.get(t.albumId)!.name;

describe("enrichListens against the simulator", () => {
  let t: TestDatabase;
  let sim: SpotifySimulator;
  let config: Config;
  beforeAll(async () => {
    sim = await startSpotifySimulator({ catalogue, limits: { windowCalls: 10_000, dailyCalls: 1_000_000 } });
  });
  afterAll(() => sim.close());
  beforeEach(async () => {
    t = await createTestDatabase();
    config = enrichConfig(sim);
    sim.resetStats();
    sim.resetLimits();
    sim.setProfile("development");
    sim.setRateLimit({ windowCalls: 10_000, dailyCalls: 1_000_000 });
  });
  afterEach(() => t.drop());

  it("resolves id-known tracks with one call each, writes the catalogue and the run log", async () => {
    const ann = await connectedUser(t, sim, config, "ann");
    const tracks = originals.slice(0, 12);
    // 30 listens over 12 unique tracks.
    await addListens(t, ann, [...tracks, ...tracks, ...tracks.slice(0, 6)].map((x) => ({ trackId: x.id, artist: artistOf(x), track: x.name, album: albumOf(x) })));
    const [stats] = await enrichListens(enrichContext(t, config), { userId: ann, trigger: "manual" });
    expect(stats).toMatchObject({ status: "succeeded", processed: 12, enriched: 12, notFound: 0, failed: 0, listensUpdated: 30, remaining: 0 });
    const calls = callsByEndpoint(sim);
    expect(calls["tracks/{id}"]).toBe(12);
    // The batch endpoint is tried once, answers 403 in development mode, and is remembered as gone.
    expect(sim.stats().byEndpoint.tracks).toEqual({ 403: 1 });
    expect(await statusCounts(t, ann)).toEqual({ enriched: 30 });
    const stored = await t.db.selectFrom("tracks").select(["id", "isrc", "album_id"]).where("id", "in", tracks.map((x) => x.id)).execute();
    expect(stored).toHaveLength(12);
    for (const s of stored) expect(s.isrc).toBe(catalogue.tracks.get(s.id)!.isrc);
    const run = await t.db.selectFrom("enrichment_runs").selectAll().where("id", "=", stats!.runId).executeTakeFirstOrThrow();
    expect(run).toMatchObject({ trigger: "manual", status: "succeeded", items_attempted: 12, items_matched: 12, listens_updated: 30 });
    expect(run.finished_at).not.toBeNull();
    expect(run.api_calls).toMatchObject({ "tracks/{id}": 12 });
  });

  it("spends nothing on tracks already in the shared catalogue, for another person, by id or by name", async () => {
    const ann = await connectedUser(t, sim, config, "ann");
    const bob = await connectedUser(t, sim, config, "bob");
    const tracks = originals.slice(0, 10);
    await addListens(t, ann, tracks.map((x) => ({ trackId: x.id, artist: artistOf(x), track: x.name })));
    await enrichListens(enrichContext(t, config), { userId: ann });
    sim.resetStats();
    // Bob's basic export names the same tracks without ids; his extended one has the ids.
    await addListens(t, bob, tracks.slice(0, 5).map((x) => ({ artist: artistOf(x), track: x.name })));
    await addListens(t, bob, tracks.slice(5).map((x) => ({ trackId: x.id, artist: artistOf(x), track: x.name })));
    const [stats] = await enrichListens(enrichContext(t, config), { userId: bob });
    expect(sim.stats().calls).toBe(0);
    expect(stats).toMatchObject({ status: "succeeded", apiCalls: 0, listensFromCatalogue: 10, remaining: 0 });
    const bobs = await t.db.selectFrom("listens").select(["spotify_track_id", "track_name"]).where("user_id", "=", bob).execute();
    for (const l of bobs) expect(l.spotify_track_id).toBe(tracks.find((x) => x.name === l.track_name)!.id);
  });

  it("searches by name, picks the right recording among live, remaster, karaoke and tribute twins, and remembers misses", async () => {
    const ann = await connectedUser(t, sim, config, "ann");
    const withTwins = originals.filter((o) => [...catalogue.tracks.values()].some((v) => v.originalId === o.id && ["live", "karaoke", "tribute", "remaster", "homonym"].includes(v.variant))).slice(0, 15);
    expect(withTwins.length).toBe(15);
    await addListens(t, ann, withTwins.map((x) => ({ artist: artistOf(x), track: x.name })));
    await addListens(t, ann, [{ artist: "Nobody Anywhere", track: "A Song That Does Not Exist" }]);
    const [stats] = await enrichListens(enrichContext(t, config), { userId: ann });
    expect(stats).toMatchObject({ processed: 16, enriched: 15, notFound: 1, remaining: 0 });
    const rows = await t.db.selectFrom("listens").select(["track_name", "spotify_track_id", "enrichment_status", "enrichment_reason"]).where("user_id", "=", ann).execute();
    for (const x of withTwins) expect(rows.find((r) => r.track_name === x.name)!.spotify_track_id).toBe(x.id);
    const miss = rows.find((r) => r.track_name === "A Song That Does Not Exist")!;
    expect(miss.enrichment_status).toBe("not_found");
    expect(miss.enrichment_reason).toMatch(/found nothing/);
    // ≤ 1.1 calls per searched track: one search each, a second only when the first found nothing.
    expect(callsByEndpoint(sim).search).toBe(17);
    // The miss is remembered: the same names later cost nothing.
    sim.resetStats();
    await addListens(t, ann, [{ artist: "Nobody Anywhere", track: "A Song That Does Not Exist" }]);
    const [again] = await enrichListens(enrichContext(t, config), { userId: ann });
    expect(sim.stats().calls).toBe(0);
    expect(again!.listensFromCatalogue).toBe(1);
    expect(await statusCounts(t, ann)).toEqual({ enriched: 15, not_found: 2 });
  });

  it("picks the original over a compilation's copy, refuses featured variants, finds renamed tracks, and searches twice only when nothing matched", async () => {
    const ann = await connectedUser(t, sim, config, "ann");
    const all = [...catalogue.tracks.values()];
    const withCompilation = originals.filter((o) => all.some((v) => v.variant === "compilation" && v.originalId === o.id)).slice(0, 3);
    const taken = new Set(withCompilation.map((x) => x.id));
    const apart = (list: SimTrack[], n: number) => {
      const out = list.filter((x) => !taken.has(x.id)).slice(0, n);
      for (const x of out) taken.add(x.id);
      return out;
    };
    const withFeatured = apart(originals.filter((o) => all.some((v) => v.variant === "featured" && v.originalId === o.id)), 3);
    const renamedFeat = apart(all.filter((o) => o.variant === "original" && o.exportName?.includes("(feat.")), 2);
    const remastered = apart(originals.filter((o) => o.exportName && /remaster/i.test(o.name)), 2);
    expect([withCompilation.length, withFeatured.length, renamedFeat.length, remastered.length]).toEqual([3, 3, 2, 2]);
    const asOld = (x: SimTrack) => ({ artist: artistOf(x), track: x.exportName ?? x.name, msPlayed: x.durationMs - 1000 });
    await addListens(t, ann, [...withCompilation, ...withFeatured, ...renamedFeat, ...remastered].map(asOld));
    const [stats] = await enrichListens(enrichContext(t, config), { userId: ann });
    expect(stats).toMatchObject({ processed: 10, enriched: 10, notFound: 0 });
    const rows = await t.db.selectFrom("listens").select(["track_name", "spotify_track_id"]).where("user_id", "=", ann).execute();
    for (const x of [...withCompilation, ...withFeatured, ...renamedFeat, ...remastered]) expect(rows.find((r) => r.track_name === (x.exportName ?? x.name))!.spotify_track_id, x.name).toBe(x.id);
    // Only the "(feat. X)" names Spotify now writes "(with X)" found nothing at first: a second,
    // stripped search each; everything else one search.
    expect(callsByEndpoint(sim).search).toBe(10 + renamedFeat.length);
    // The lookup says why: the original release over a compilation's copy of the same recording.
    const lookups = await t.db.selectFrom("track_lookups").select(["track_id", "reason"]).where("track_id", "in", withCompilation.map((x) => x.id)).execute();
    expect(lookups).toHaveLength(3);
    for (const l of lookups) expect(l.reason).toMatch(/original release .* over the same recording on a compilation/);
  });

  it("takes up to a batch of unique items, the most-played first, then the most recent, and leaves the rest pending", async () => {
    const ann = await connectedUser(t, sim, config, "ann");
    const tracks = originals.slice(0, 10);
    // Tracks 0–7 played once each, 0 the most recently; 8 played five times and 9 three times, long ago.
    await addListens(t, ann, tracks.slice(0, 8).map((x, i) => ({ trackId: x.id, artist: artistOf(x), track: x.name, playedAt: new Date(Date.UTC(2021, 0, 1 + (8 - i))) })));
    const old = (x: SimTrack, n: number, day: number) => Array.from({ length: n }, (_, k) => ({ artist: artistOf(x), track: x.name, playedAt: new Date(Date.UTC(2015, 0, day, 0, k)) }));
    await addListens(t, ann, [...old(tracks[8]!, 5, 1), ...old(tracks[9]!, 3, 2)]);
    const [first] = await enrichListens(enrichContext(t, config), { userId: ann, batchSize: 4 });
    expect(first).toMatchObject({ processed: 4, remaining: 6 });
    const rows = await t.db.selectFrom("listens").select(["spotify_track_id", "enrichment_status"]).where("user_id", "=", ann).where("enrichment_status", "=", "enriched").execute();
    // 5 + 3 listens of the two favourites, then the two most recent of the rest: 10 of 16 listens.
    expect(new Set(rows.map((r) => r.spotify_track_id))).toEqual(new Set([tracks[8]!.id, tracks[9]!.id, tracks[0]!.id, tracks[1]!.id]));
    expect(rows).toHaveLength(10);
  });

  it("takes up to a batch of unique items oldest first when asked, and leaves the rest pending", async () => {
    const ann = await connectedUser(t, sim, config, "ann");
    const tracks = originals.slice(0, 8);
    await addListens(t, ann, tracks.map((x, i) => ({ trackId: x.id, artist: artistOf(x), track: x.name, playedAt: new Date(Date.UTC(2020, 0, 1 + (8 - i))) })));
    const [stats] = await enrichListens(enrichContext(t, config), { userId: ann, batchSize: 3, order: "oldest" });
    expect(stats).toMatchObject({ processed: 3, remaining: 5 });
    const done = await t.db.selectFrom("listens").select("source_track_id").where("user_id", "=", ann).where("enrichment_status", "=", "enriched").execute();
    expect(done.map((d) => d.source_track_id).sort()).toEqual(tracks.slice(5).map((x) => x.id).sort());
  });

  it("uses the batch endpoint where the app has it, and finds out once when it does not", async () => {
    const ann = await connectedUser(t, sim, config, "ann");
    const tracks = originals.slice(0, 60);
    await addListens(t, ann, tracks.slice(0, 30).map((x) => ({ trackId: x.id, artist: artistOf(x), track: x.name })));
    await enrichListens(enrichContext(t, config), { userId: ann, batchSize: 30 });
    expect(callsByEndpoint(sim)).toMatchObject({ tracks: 1, "tracks/{id}": 30 });
    expect(sim.stats().byEndpoint.tracks).toEqual({ 403: 1 });
    sim.resetStats();
    await addListens(t, ann, tracks.slice(30, 40).map((x) => ({ trackId: x.id, artist: artistOf(x), track: x.name })));
    await enrichListens(enrichContext(t, config), { userId: ann });
    expect(callsByEndpoint(sim).tracks).toBeUndefined();
    expect(callsByEndpoint(sim)["tracks/{id}"]).toBe(10);

    // An app with extended quota: 50 ids a call.
    await sql`update spotify_rate_state set batch_endpoints = 'unknown'`.execute(t.db);
    sim.setProfile("extended");
    sim.resetStats();
    await addListens(t, ann, tracks.slice(40, 60).map((x) => ({ trackId: x.id, artist: artistOf(x), track: x.name })));
    await addListens(t, ann, [{ trackId: "0000000000000000000000", artist: "Gone", track: "Removed" }]);
    const [stats] = await enrichListens(enrichContext(t, config), { userId: ann });
    expect(callsByEndpoint(sim).tracks).toBe(1);
    expect(stats).toMatchObject({ enriched: 20, notFound: 1 });
  });

  it("fetches an album once for several listened tracks of it (album-level fetching)", async () => {
    const albumConfig = enrichConfig(sim, { ENRICH_ALBUM_FETCH: "true", TOKEN_ENCRYPTION_KEY: config.TOKEN_ENCRYPTION_KEY! });
    const ann = await connectedUser(t, sim, albumConfig, "ann");
    const album = [...catalogue.albums.values()].find((a) => a.trackIds.length >= 6 && a.albumType === "album")!;
    const listened = album.trackIds.slice(0, 6).map((id) => catalogue.tracks.get(id)!);
    await addListens(t, ann, listened.map((x) => ({ trackId: x.id, artist: artistOf(x), track: x.name, album: album.name })));
    // A second person still has tracks waiting, so the ISRC backfill (lowest priority) waits too.
    const bob = await connectedUser(t, sim, albumConfig, "bob");
    await addListens(t, bob, [{ artist: "Nobody Anywhere", track: "Waiting" }]);
    const [stats] = await enrichListens(enrichContext(t, albumConfig), { userId: ann });
    const calls = callsByEndpoint(sim);
    expect(calls["tracks/{id}"]).toBe(1);
    expect(calls["albums/{id}"]).toBe(1);
    expect(stats).toMatchObject({ enriched: 6, remaining: 0 });
    const fetchedAlbum = await t.db.selectFrom("albums").select("fetched_at").where("id", "=", album.id).executeTakeFirstOrThrow();
    expect(fetchedAlbum.fetched_at).not.toBeNull();
    // Tracks from the album page lack the ISRC until they are fetched, at the lowest priority:
    // only once nobody's tracks wait any more.
    const detail = await t.db.selectFrom("tracks").select(["id", "isrc", "needs_detail"]).where("album_id", "=", album.id).execute();
    expect(detail.filter((d) => d.needs_detail).length).toBe(album.trackIds.length - 1);
    expect(callsByEndpoint(sim)["tracks/{id}"]).toBe(1);
    // …then Bob's run leaves nothing pending. The backfill is off by default (nothing reads a
    // catalogue track's ISRC; it would cost n + 1 calls for n tracks): nothing more is spent…
    await enrichListens(enrichContext(t, albumConfig), { userId: bob });
    sim.resetStats();
    await enrichListens(enrichContext(t, albumConfig), { userId: ann });
    expect(callsByEndpoint(sim)["tracks/{id}"]).toBeUndefined();
    // …and when asked for, Ann's next run fills the ISRCs of her listened tracks.
    await enrichListens(enrichContext(t, albumConfig), { userId: ann, isrcBackfill: true });
    const after = await t.db.selectFrom("tracks").select(["id", "isrc", "needs_detail"]).where("id", "in", listened.map((x) => x.id)).execute();
    for (const d of after) expect([d.needs_detail, d.isrc]).toEqual([false, catalogue.tracks.get(d.id)!.isrc]);
  });

  it("fetches each artist once after the tracks, for images and genres", async () => {
    const ann = await connectedUser(t, sim, config, "ann");
    const tracks = originals.slice(0, 10);
    await addListens(t, ann, tracks.map((x) => ({ trackId: x.id, artist: artistOf(x), track: x.name })));
    const [stats] = await enrichListens(enrichContext(t, config), { userId: ann });
    const uniqueArtists = new Set(tracks.flatMap((x) => x.artistIds));
    expect(stats!.artistsFetched).toBe(uniqueArtists.size);
    expect(callsByEndpoint(sim)["artists/{id}"]).toBe(uniqueArtists.size);
    const artists = await t.db.selectFrom("artists").select(["id", "images", "fetched_at"]).where("id", "in", [...uniqueArtists]).execute();
    for (const a of artists) {
      expect(a.fetched_at).not.toBeNull();
      expect((a.images as unknown[]).length).toBe(3);
    }
  });

  it("an artist Spotify has no page for is asked once, then left alone", async () => {
    const ann = await connectedUser(t, sim, config, "ann");
    const track = originals[0]!;
    await addListens(t, ann, [{ trackId: track.id, artist: artistOf(track), track: track.name }]);
    await enrichListens(enrichContext(t, config), { userId: ann });
    // The track also credits an artist the catalogue no longer has.
    await t.db.insertInto("artists").values({ id: "0000000000000000000404", name: "Gone Artist" }).execute();
    await t.db.insertInto("track_artists").values({ track_id: track.id, artist_id: "0000000000000000000404", position: 9 }).execute();
    sim.resetStats();
    const [first] = await enrichListens(enrichContext(t, config), { userId: ann });
    expect(first!.status).toBe("succeeded");
    expect(callsByEndpoint(sim)["artists/{id}"]).toBe(1);
    const gone = await t.db.selectFrom("artists").select("fetched_at").where("id", "=", "0000000000000000000404").executeTakeFirstOrThrow();
    expect(gone.fetched_at).not.toBeNull();
    sim.resetStats();
    await enrichListens(enrichContext(t, config), { userId: ann });
    expect(callsByEndpoint(sim)["artists/{id}"] ?? 0).toBe(0);
  });

  it("a 429 stops the run, keeps the rest pending (never not_found), and blocks every worker until Retry-After", async () => {
    const ann = await connectedUser(t, sim, config, "ann");
    const tracks = originals.slice(0, 10);
    await addListens(t, ann, tracks.map((x) => ({ trackId: x.id, artist: artistOf(x), track: x.name })));
    sim.setRateLimit({ windowCalls: 4 });
    const [stats] = await enrichListens(enrichContext(t, config), { userId: ann });
    expect(stats!.status).toBe("rate_limited");
    expect(stats!.resumeAt).not.toBeNull();
    // Four calls fit the window: the batch probe (403) and three tracks.
    expect(stats!.enriched).toBe(3);
    expect(await statusCounts(t, ann)).toEqual({ enriched: 3, pending: 7 });
    expect(sim.stats().rateLimited.rate).toBe(1);
    const state = await t.db.selectFrom("spotify_rate_state").selectAll().executeTakeFirstOrThrow();
    expect(state.blocked_until!.getTime()).toBeGreaterThan(Date.now());
    // Another run while blocked spends nothing.
    sim.resetStats();
    const [blocked] = await enrichListens(enrichContext(t, config), { userId: ann });
    expect(blocked!.status).toBe("rate_limited");
    expect(sim.stats().calls).toBe(0);
    const run = await t.db.selectFrom("enrichment_runs").selectAll().where("id", "=", stats!.runId).executeTakeFirstOrThrow();
    expect(run).toMatchObject({ status: "rate_limited", rate_limited: { window: 1 } });
    expect(run.resume_at).not.toBeNull();
  });

  it("QUOTA_EXCEEDED pauses until Retry-After and then goes on (a scaled day)", async () => {
    const fast = await startSpotifySimulator({ catalogue, limits: { windowCalls: 10_000, dailyCalls: 5 }, timeScale: 43_200, accounts: { accessTokenSeconds: 10 * 365 * 86_400 } });
    try {
      const c = enrichConfig(fast);
      const ann = await connectedUser(t, fast, c, "ann");
      const tracks = originals.slice(0, 8);
      await addListens(t, ann, tracks.map((x) => ({ trackId: x.id, artist: artistOf(x), track: x.name })));
      const [first] = await enrichListens(enrichContext(t, c), { userId: ann });
      expect(first!.status).toBe("quota_paused");
      expect(first!.error).toMatch(/quota/);
      // Five calls a "day": the batch probe (403) and four tracks.
      expect(await statusCounts(t, ann)).toEqual({ enriched: 4, pending: 4 });
      const wait = first!.resumeAt!.getTime() - Date.now();
      expect(wait).toBeGreaterThan(0);
      expect(wait).toBeLessThan(5_000);
      await new Promise((r) => setTimeout(r, wait + 50));
      const [second] = await enrichListens(enrichContext(t, c), { userId: ann });
      expect(second!.status).toBe("succeeded");
      expect(await statusCounts(t, ann)).toEqual({ enriched: 8 });
    } finally {
      await fast.close();
    }
  });

  it("broken answers are retried within the call; an answer about one track that does not fit fails that track; failures come back only by retry", async () => {
    const ann = await connectedUser(t, sim, config, "ann");
    const tracks = originals.slice(0, 3);
    await addListens(t, ann, tracks.map((x, i) => ({ trackId: x.id, artist: artistOf(x), track: x.name, playedAt: new Date(Date.UTC(2020, 0, 1 + i)) })));
    // Spotify answers the second track without its artists: not the object asked for.
    const original = tracks[1]!;
    catalogue.tracks.set(original.id, { ...original, artistIds: [] });
    try {
      // The first call (the batch probe) meets a broken body, a cut-off one and a 5xx, then is answered.
      sim.queueFaults(["malformed", "truncated", "server_error", null]);
      const [stats] = await enrichListens(enrichContext(t, config), { userId: ann });
      expect(stats).toMatchObject({ status: "partial", enriched: 2, failed: 1 });
      const failed = await t.db.selectFrom("listens").select(["source_track_id", "enrichment_reason"]).where("enrichment_status", "=", "failed").execute();
      expect(failed.map((f) => f.source_track_id)).toEqual([original.id]);
      expect(failed[0]!.enrichment_reason).toMatch(/did not have the expected shape \(artists:/);
      // Asked once: the same question would get the same answer.
      expect(sim.requestLog().filter((l) => l.path.endsWith(original.id))).toHaveLength(1);
      sim.resetStats();
      await enrichListens(enrichContext(t, config), { userId: ann });
      expect(callsByEndpoint(sim)["tracks/{id}"]).toBeUndefined();
    } finally {
      catalogue.tracks.set(original.id, original);
    }
    expect(await retryItems(t.db, ann)).toBe(1);
    const [retried] = await enrichListens(enrichContext(t, config), { userId: ann });
    expect(retried).toMatchObject({ enriched: 1, remaining: 0 });
  });

  it("invalid_grant stops that person's enrichment with nothing deleted; nobody without a connection is enriched", async () => {
    const ann = await connectedUser(t, sim, config, "ann-revoked");
    const tracks = originals.slice(0, 3);
    await addListens(t, ann, tracks.map((x) => ({ trackId: x.id, artist: artistOf(x), track: x.name })));
    sim.revokeUser("ann-revoked");
    const [stats] = await enrichListens(enrichContext(t, config), { userId: ann });
    expect(stats!.status).toBe("failed");
    expect(stats!.error).toMatch(/reconnect/i);
    expect(await statusCounts(t, ann)).toEqual({ pending: 3 });
    const token = await t.db.selectFrom("spotify_tokens").select("state").where("user_id", "=", ann).executeTakeFirstOrThrow();
    expect(token.state).toBe("revoked");
    sim.resetStats();
    const [skipped] = await enrichListens(enrichContext(t, config), { userId: ann });
    expect(skipped).toMatchObject({ status: "skipped", apiCalls: 0 });
    expect(sim.stats().calls).toBe(0);

    const carl = (await t.db.insertInto("users").values({ spotify_id: "carl" }).returning("id").executeTakeFirstOrThrow()).id;
    await addListens(t, carl, tracks.map((x) => ({ trackId: x.id, artist: artistOf(x), track: x.name })));
    // Run for everyone: neither Ann (revoked) nor Carl (never connected) is picked.
    expect(await enrichListens(enrichContext(t, config))).toEqual([]);
  });

  it("two workers at once never fetch an item twice; a dead worker's claim frees after it goes stale", async () => {
    const ann = await connectedUser(t, sim, config, "ann");
    const bob = await connectedUser(t, sim, config, "bob");
    const tracks = originals.slice(0, 40);
    await addListens(t, ann, tracks.map((x) => ({ trackId: x.id, artist: artistOf(x), track: x.name })));
    await addListens(t, bob, tracks.slice(10).map((x) => ({ trackId: x.id, artist: artistOf(x), track: x.name })));
    const runs = await Promise.all([
      enrichListens(enrichContext(t, config, "w1"), { userId: ann, batchSize: 40 }),
      enrichListens(enrichContext(t, config, "w2"), { userId: bob, batchSize: 40 }),
      enrichListens(enrichContext(t, config, "w3"), { userId: ann, batchSize: 40 }),
    ]);
    for (let round = 0; round < 3; round++) {
      await enrichListens(enrichContext(t, config, "w1"), { userId: ann });
      await enrichListens(enrichContext(t, config, "w2"), { userId: bob });
    }
    const fetched = sim.requestLog().filter((l) => l.endpoint === "tracks/{id}").map((l) => l.path);
    expect(new Set(fetched).size).toBe(fetched.length);
    expect(fetched.length).toBe(40);
    expect(runs.flat().every((s) => s.status === "succeeded")).toBe(true);
    expect(await statusCounts(t, ann)).toEqual({ enriched: 40 });
    expect(await statusCounts(t, bob)).toEqual({ enriched: 30 });

    // A claim left by a killed worker: skipped while fresh, taken once stale.
    const carl = await connectedUser(t, sim, config, "carl");
    const x = originals[50]!;
    await addListens(t, carl, [{ trackId: x.id, artist: artistOf(x), track: x.name }]);
    await t.db.insertInto("enrichment_claims").values({ item: `i:${x.id}`, owner: "dead-worker" }).execute();
    const [held] = await enrichListens(enrichContext(t, config), { userId: carl });
    expect(held).toMatchObject({ processed: 0, remaining: 1 });
    await t.db.updateTable("enrichment_claims").set({ claimed_at: new Date(Date.now() - 11 * 60_000) }).execute();
    const [taken] = await enrichListens(enrichContext(t, config), { userId: carl });
    expect(taken).toMatchObject({ enriched: 1, remaining: 0 });
  });

  it("serves every eligible person in one run, least recently served first", async () => {
    const ann = await connectedUser(t, sim, config, "ann");
    const bob = await connectedUser(t, sim, config, "bob");
    await addListens(t, ann, originals.slice(0, 3).map((x) => ({ trackId: x.id, artist: artistOf(x), track: x.name })));
    await addListens(t, bob, originals.slice(3, 6).map((x) => ({ trackId: x.id, artist: artistOf(x), track: x.name })));
    const all = await enrichListens(enrichContext(t, config), { batchSize: 2 });
    expect(all.map((s) => s.userId).sort()).toEqual([ann, bob].sort());
    const next = await enrichListens(enrichContext(t, config), { batchSize: 2 });
    expect(next.map((s) => s.userId).sort()).toEqual([ann, bob].sort());
    expect(await statusCounts(t, ann)).toEqual({ enriched: 3 });
  });
});
