import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Config } from "../../src/lib/config/env";
import { enrichListens } from "../../src/lib/enrichment/enrich-listens";
import { checkHealth, healthOptions } from "../../src/lib/monitoring/health";
import { generateCatalogue, startSpotifySimulator, type SimTrack, type SpotifySimulator } from "../spotify-sim";
import { addListens, connectedUser, enrichConfig, enrichContext, statusCounts } from "../support/enrichment";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

const catalogue = generateCatalogue({ seed: "faults", artists: 20 });
const originals = [...catalogue.tracks.values()].filter((t) => t.variant === "original" && !t.name.includes("(feat."));
const artistOf = (t: SimTrack) => catalogue.artists.get(t.artistIds[0]!)!.name;
const asListen = (t: SimTrack) => ({ trackId: t.id, artist: artistOf(t), track: t.name });

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
});
