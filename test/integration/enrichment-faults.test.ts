import { sql } from "kysely";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Config } from "../../src/lib/config/env";
import { enrichListens, type EnrichStats } from "../../src/lib/enrichment/enrich-listens";
import { stateLine } from "../../src/lib/monitoring/live-state";
import { enrichmentPanel } from "../../src/lib/monitoring/enrichment-panel";
import { checkHealth, healthOptions } from "../../src/lib/monitoring/health";
import { generateCatalogue, startSpotifySimulator, type SimTrack, type SpotifySimulator } from "../spotify-sim";
import { addListens, connectedUser, enrichConfig, enrichContext, statusCounts } from "../support/enrichment";
import { createTestDatabase, type TestDatabase } from "../support/test-database";
import { until } from "../support/wait";

const catalogue = generateCatalogue({ seed: "faults", artists: 20 });
const originals = [...catalogue.tracks.values()].filter((t) => t.variant === "original" && !t.name.includes("(feat."));
const artistOf = (t: SimTrack) => catalogue.artists.get(t.artistIds[0]!)!.name;
const asListen = (t: SimTrack) => ({ trackId: t.id, artist: artistOf(t), track: t.name });

/** A track whose answer lacks its artists: a malformed answer about that one item. */
const noArtists: SimTrack = { ...originals[41]!, id: "0NoArtistsTrack0000000", name: "Nobody Sang It", artistIds: [], isrc: "XX0000000002" };
catalogue.tracks.set(noArtists.id, noArtists);

/** A track Spotify answers with a name PostgreSQL text cannot hold (a NUL): storing it fails. */
const unstorable: SimTrack = { ...originals[40]!, id: "0NulNameTrack000000000", name: "Broken\u0000Name", isrc: "XX0000000001" };
catalogue.tracks.set(unstorable.id, unstorable);

/** Random words, so PostgreSQL cannot compress them below its index limit (the real failure). */
function hugeName(chars: number, seed: number, alphabet: "ascii" | "cjk"): string {
  let x = seed;
  const next = () => (x = (x * 1103515245 + 12345) % 2 ** 31);
  const out: string[] = [];
  let n = 0;
  while (n < chars) {
    const len = 3 + (next() % 8);
    const word = Array.from({ length: len }, () => (alphabet === "ascii" ? String.fromCharCode(97 + (next() % 26)) : String.fromCharCode(0x4e00 + (next() % 20_000)))).join("");
    out.push(word);
    n += len + 1;
  }
  return out.join(" ").slice(0, chars);
}

describe("enrichment faults: no single item fails a run", () => {
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
  });
  afterEach(() => t.drop());

  it("oversized names and an answer the database cannot store are set aside with a reason; the run saves the rest", async () => {
    const ann = await connectedUser(t, sim, config, "ann");
    const old = (day: number, minute = 0) => new Date(Date.UTC(2001, 0, day, 0, minute));
    const hugeAscii = { artist: hugeName(6000, 1, "ascii"), track: hugeName(6000, 2, "ascii") };
    const hugeCjk = { artist: hugeName(6000, 3, "cjk"), track: hugeName(6000, 4, "cjk") };
    // The oldest listens of all, so they are in every batch: basic-export entries (names only)…
    await addListens(t, ann, [0, 1, 2].map((m) => ({ ...hugeAscii, playedAt: old(1, m) })));
    await addListens(t, ann, [0, 1].map((m) => ({ ...hugeCjk, playedAt: old(2, m) })));
    // …an extended-export entry whose id is fine but whose names are huge…
    const namedById = originals[0]!;
    await addListens(t, ann, [{ trackId: namedById.id, artist: hugeName(6000, 5, "ascii"), track: hugeName(6000, 6, "cjk"), playedAt: old(3) }]);
    // …a track Spotify answers with a name the database cannot store…
    await addListens(t, ann, [{ trackId: unstorable.id, artist: artistOf(unstorable), track: "Broken Name", playedAt: old(4) }]);
    // …a long but not absurd name (searched with a shortened query)…
    await addListens(t, ann, [{ artist: hugeName(600, 7, "ascii"), track: hugeName(600, 8, "ascii"), playedAt: old(5) }]);
    // …and ordinary listens, by id and by name.
    const normal = originals.slice(1, 9);
    await addListens(t, ann, normal.slice(0, 5).map(asListen));
    await addListens(t, ann, normal.slice(5).map((x) => ({ artist: artistOf(x), track: x.name })));

    const [stats] = await enrichListens(enrichContext(t, config), { userId: ann, trigger: "manual" });
    expect(stats!.error).toBeNull();
    expect(stats!.status).toBe("partial");
    expect(stats).toMatchObject({ enriched: 1 + normal.length, notFound: 1, failed: 3, remaining: 0 });
    expect(await statusCounts(t, ann)).toEqual({ enriched: 1 + normal.length, not_found: 1, failed: 6 });

    const rows = await t.db.selectFrom("listens").select(["artist_name", "source_track_id", "enrichment_status", "enrichment_reason", "spotify_track_id"]).where("user_id", "=", ann).execute();
    const huge = rows.filter((r) => r.artist_name === hugeAscii.artist || r.artist_name === hugeCjk.artist);
    expect(huge).toHaveLength(5);
    for (const r of huge) {
      expect(r.enrichment_status).toBe("failed");
      expect(r.enrichment_reason).toMatch(/6,000 characters/);
    }
    expect(rows.find((r) => r.source_track_id === namedById.id)).toMatchObject({ enrichment_status: "enriched", spotify_track_id: namedById.id });
    const broken = rows.find((r) => r.source_track_id === unstorable.id)!;
    expect(broken.enrichment_status).toBe("failed");
    expect(broken.enrichment_reason).toMatch(/could not be stored/);
    expect(broken.spotify_track_id).toBeNull();
    for (const x of normal) expect(rows.find((r) => r.source_track_id === x.id || (r.source_track_id === null && r.artist_name === artistOf(x) && r.spotify_track_id === x.id))).toBeDefined();
    // No call went out for the oversized names; the shortened query found nothing, which is remembered.
    expect(sim.stats().byEndpoint.search).toBeDefined();
    const searches = Object.values(sim.stats().byEndpoint.search!).reduce((a, b) => a + b, 0);
    expect(searches).toBe(3 + 2); // three names found at once, the 600-character one searched twice

    // "Enrich now" again and again: nothing is stuck, no run fails, health stays ok.
    await t.db.insertInto("worker_heartbeats").values({ worker_id: "w", hostname: "h", pid: 1, concurrency: 1 }).execute();
    for (let i = 0; i < 6; i++) {
      const [again] = await enrichListens(enrichContext(t, config), { userId: ann, trigger: "manual" });
      if (again) expect(again.status).not.toBe("failed");
    }
    const runs = await t.db.selectFrom("enrichment_runs").select("status").execute();
    expect(runs.filter((r) => r.status === "failed")).toEqual([]);
    const health = await checkHealth(t.pool, healthOptions(config));
    expect(health.checks.filter((c) => !c.ok)).toEqual([]);
    expect(health.status).toBe("ok");
  });

  /** Short outage backoffs, so a test waits milliseconds where production waits minutes. */
  const backoff = { firstMs: 40, maxMs: 160 };
  const rateState = () => t.db.selectFrom("spotify_rate_state").selectAll().where("client_id", "=", sim.clientId).executeTakeFirstOrThrow();
  const blockLifted = async () => {
    const s = await rateState();
    await until(async () => !s.blocked_until || s.blocked_until.getTime() < Date.now(), 5_000, "the outage block to lift");
  };

  it("a burst of 40 consecutive 5xx fails nothing: the app backs off, escalating, spends a call per try, and then enriches everything", async () => {
    const ann = await connectedUser(t, sim, config, "ann");
    const tracks = originals.slice(0, 10);
    await addListens(t, ann, tracks.map(asListen));
    sim.queueFaults(Array.from({ length: 40 }, () => "server_error" as const));

    const [first] = await enrichListens(enrichContext(t, config), { userId: ann, trigger: "manual", serverErrorBackoff: backoff });
    expect(first!.status).toBe("spotify_unavailable");
    expect(first!.error).toMatch(/Spotify is having trouble/);
    expect(first!.resumeAt).not.toBeNull();
    expect(first!.apiCalls).toBe(4); // one call, its retries, then the whole app waits
    expect(await statusCounts(t, ann)).toEqual({ pending: 10 });
    const state = await rateState();
    expect(state).toMatchObject({ blocked_reason: "SERVER_ERROR", unavailable_strikes: 1 });
    expect(state.blocked_until!.getTime()).toBe(first!.resumeAt!.getTime());
    expect(state.unavailable_since).not.toBeNull();

    // The worker's way: each run at the time the last one gave, until the burst is over.
    const runs: EnrichStats[] = [first!];
    // Each wait as set: the block's end minus the moment it was set.
    const waitSet = async () => {
      const st = await rateState();
      return st.blocked_until!.getTime() - st.updated_at.getTime();
    };
    const waits: number[] = [await waitSet()];
    for (let i = 0; i < 60 && (await statusCounts(t, ann)).enriched !== 10; i++) {
      await blockLifted();
      const [run] = await enrichListens(enrichContext(t, config), { userId: ann, trigger: "resume", serverErrorBackoff: backoff });
      runs.push(run!);
      if (run!.status === "spotify_unavailable") waits.push(await waitSet());
      expect(await statusCounts(t, ann)).not.toHaveProperty("failed");
    }
    expect(await statusCounts(t, ann)).toEqual({ enriched: 10 });
    const outageRuns = runs.filter((r) => r.status === "spotify_unavailable");
    const last = runs.at(-1)!;
    expect(last.status).toBe("succeeded");
    expect(runs.every((r) => r.status === "spotify_unavailable" || r === last)).toBe(true);
    // 40 faults: four in the first call, then every later try is a single call (a probe).
    expect(outageRuns).toHaveLength(37);
    expect(outageRuns.slice(1).every((r) => r.apiCalls === 1)).toBe(true);
    // The waits escalate, doubling up to the cap: 40, 80, 160, 160, … ms here (1, 2, 4, 8, 15 minutes by default).
    expect(waits).toEqual([40, 80, ...Array.from({ length: 35 }, () => 160)]);
    // Recovery clears the outage.
    expect(await rateState()).toMatchObject({ unavailable_since: null, unavailable_strikes: 0 });
    const logged = await t.db.selectFrom("enrichment_runs").select(["status", "resume_at"]).where("id", "=", first!.runId).executeTakeFirstOrThrow();
    expect(logged.status).toBe("spotify_unavailable");
    expect(logged.resume_at).not.toBeNull();
  });

  it("resets, truncated and invalid bodies are Spotify's trouble too; a wrong answer about one track fails only that track", async () => {
    const ann = await connectedUser(t, sim, config, "ann");
    const tracks = originals.slice(0, 4);
    await addListens(t, ann, [{ trackId: noArtists.id, artist: "Nobody", track: "Nobody Sang It", playedAt: new Date(Date.UTC(2001, 0, 1)) }]);
    await addListens(t, ann, tracks.map(asListen));
    // The batch probe (403: development mode), then four broken answers in a row.
    sim.queueFaults([null, "reset", "truncated", "malformed", "server_error"]);
    const [first] = await enrichListens(enrichContext(t, config), { userId: ann, serverErrorBackoff: backoff });
    expect(first!.status).toBe("spotify_unavailable");
    expect(await statusCounts(t, ann)).toEqual({ pending: 5 });
    await blockLifted();
    sim.resetStats();
    const [second] = await enrichListens(enrichContext(t, config), { userId: ann, serverErrorBackoff: backoff });
    expect(second).toMatchObject({ status: "partial", enriched: 4, failed: 1 });
    const failed = await t.db.selectFrom("listens").select(["source_track_id", "enrichment_reason"]).where("enrichment_status", "=", "failed").execute();
    expect(failed).toEqual([{ source_track_id: noArtists.id, enrichment_reason: expect.stringMatching(/did not have the expected shape/) }]);
    // A wrong answer is not retried: one call for that track.
    expect(sim.requestLog().filter((l) => l.path.endsWith(noArtists.id))).toHaveLength(1);
    expect((await rateState()).unavailable_since).toBeNull();
  });

  it("the panel says Spotify is having trouble and when it tries again; health warns only when it lasts", async () => {
    const ann = await connectedUser(t, sim, config, "ann");
    await addListens(t, ann, originals.slice(0, 3).map(asListen));
    await t.db.insertInto("worker_heartbeats").values({ worker_id: "w", hostname: "h", pid: 1, concurrency: 1 }).execute();
    sim.setFaults({ serverErrorRate: 1 });
    try {
      const [run] = await enrichListens(enrichContext(t, config), { userId: ann, serverErrorBackoff: { firstMs: 60_000, maxMs: 15 * 60_000 } });
      expect(run!.status).toBe("spotify_unavailable");
      const panel = await enrichmentPanel(t.db, config, ann);
      expect(panel.state.code).toBe("unavailable");
      // The server sends words and the moment; the page ends the sentence in the reader's zone.
      expect(stateLine(panel.state, { now: new Date(), timeZone: "UTC" })).toMatch(/^Spotify is having trouble; enrichment tries again in \d+ (s|min)\.$/);
      expect(panel.state.until).toBe(run!.resumeAt!.toISOString());
      // While the app waits, a run (any person's, any worker's) spends nothing.
      const callsBefore = sim.stats().calls;
      const [blocked] = await enrichListens(enrichContext(t, config), { userId: ann });
      expect(blocked).toMatchObject({ status: "spotify_unavailable", apiCalls: 0 });
      expect(sim.stats().calls).toBe(callsBefore);
      // A blip is not a warning…
      let health = await checkHealth(t.pool, healthOptions(config));
      expect(health.status).toBe("ok");
      expect(health.checks.find((c) => c.name === "spotify")).toMatchObject({ ok: true });
      // …an outage of over 15 minutes is.
      await sql`update spotify_rate_state set unavailable_since = now() - interval '20 minutes'`.execute(t.db);
      health = await checkHealth(t.pool, healthOptions(config));
      expect(health.status).toBe("warning");
      expect(health.checks.find((c) => c.name === "spotify")).toMatchObject({ ok: false, message: expect.stringMatching(/Spotify has been failing for 20 minutes/) });
    } finally {
      sim.setFaults({ serverErrorRate: 0 });
    }
    // It answers again: the next try enriches, and both clear.
    await sql`update spotify_rate_state set blocked_until = now() - interval '1 second'`.execute(t.db);
    const [after] = await enrichListens(enrichContext(t, config), { userId: ann });
    expect(after!.status).toBe("succeeded");
    expect((await enrichmentPanel(t.db, config, ann)).state.code).toBe("done");
    expect((await checkHealth(t.pool, healthOptions(config))).status).toBe("ok");
  });
});
