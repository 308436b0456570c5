import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getArtist } from "../../src/lib/spotify/fetch";
import { rateBudgetOptions, rateState } from "../../src/lib/spotify/rate-budget";
import { RateLimited, WebApi, emptyStats } from "../../src/lib/spotify/web-api";
import { generateCatalogue, startSpotifySimulator, type SpotifySimulator } from "../spotify-sim";
import { enrichConfig } from "../support/enrichment";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

const DAY = 86_400_000;
const catalogue = generateCatalogue({ seed: "quota", artists: 5, hardCases: false });
const artistId = [...catalogue.artists.keys()][0]!;

/**
 * Days of steady demand against the simulator's quota, on the simulator's clock: each call moves it
 * on (so a day holds more calls than any quota), and a wait — our daily budget, or Spotify's
 * QUOTA_EXCEEDED — jumps it to the moment the wait ends. Returns, per simulated day, the
 * QUOTA_EXCEEDED answers and the budget at the day's end.
 */
async function learn(t: TestDatabase, sim: SpotifySimulator, days: number, env: Record<string, string> = {}, startBudget?: number) {
  // `startBudget`: the figure the learning starts from (1,000 unless given), with no cap.
  const config = enrichConfig(sim, { SPOTIFY_DAILY_BUDGET: "", ...env });
  const budget = { ...rateBudgetOptions(config, startBudget ? { perDay: startBudget } : {}), now: () => new Date(sim.clock.now()) };
  let token: string | null = null;
  const newToken = async () => {
    const res = await fetch(`${sim.accountsBaseUrl}/api/token`, {
      method: "POST",
      headers: { authorization: `Basic ${Buffer.from(`${sim.clientId}:${sim.clientSecret}`).toString("base64")}` },
      body: new URLSearchParams({ grant_type: "client_credentials" }),
    });
    return ((await res.json()) as { access_token: string }).access_token;
  };
  const stats = emptyStats();
  const api = new WebApi({ db: t.db, baseUrl: config.SPOTIFY_API_BASE_URL, budget, token: async (rejected) => (token && !rejected ? token : (token = await newToken())), maxWaitMs: 0, stats });
  const start = sim.clock.now();
  const perDay: { hits: number; budget: number; calls: number }[] = Array.from({ length: days }, () => ({ hits: 0, budget: 0, calls: 0 }));
  const step = Math.floor(DAY / 6000);
  // One QUOTA_EXCEEDED is one event, however many calls in flight at that moment it answered.
  let lastHit = -Infinity;
  const caller = async () => {
    for (;;) {
      const day = Math.floor((sim.clock.now() - start) / DAY);
      if (day >= days) return;
      try {
        await getArtist(api, artistId);
        perDay[day]!.calls++;
        sim.clock.advance(step);
      } catch (err) {
        if (!(err instanceof RateLimited)) throw err;
        if (err.reason === "quota" && sim.clock.now() - lastHit > 60_000) perDay[day]!.hits++;
        if (err.reason === "quota") lastHit = sim.clock.now();
        const wait = err.until.getTime() - sim.clock.now() + 1;
        if (wait > 0) sim.clock.advance(wait);
      }
      const nowDay = Math.floor((sim.clock.now() - start) / DAY);
      if (nowDay > day) {
        // The budget as the day ended.
        const state = await rateState(t.db, budget.clientId, new Date(sim.clock.now()));
        for (let d = day; d < Math.min(nowDay, days); d++) perDay[d]!.budget = state.learnedDailyBudget ?? budget.perDay;
      }
    }
  };
  await caller();
  process.stdout.write(`quota ${sim.stats().calls} calls: ${JSON.stringify(perDay)}\n`);
  return perDay;
}

describe("the daily budget learned from Spotify's quota", () => {
  let sim: SpotifySimulator;
  beforeAll(async () => {
    sim = await startSpotifySimulator({ catalogue, profile: "development", limits: { windowCalls: 1_000_000, dailyCalls: 1100 }, accounts: { accessTokenSeconds: 30 * 86_400 } });
  });
  afterAll(() => sim.close());

  // From the default 1,000 to a quota of 1,100; and, to keep the test's calls down, from 2,000 to
  // one of 2,600 (from 1,000 it takes two more days: 1,000 → 1,500 → 2,250 → QUOTA_EXCEEDED).
  for (const [quota, start] of [[1100, 1000], [2600, 2000]] as const) {
    it(`settles within 10 % below a quota of ${quota.toLocaleString("en-US")}, at most one QUOTA_EXCEEDED a day`, { timeout: 300_000 }, async () => {
      const t = await createTestDatabase();
      try {
        sim.resetLimits();
        sim.setRateLimit({ windowCalls: 1_000_000, dailyCalls: quota });
        const days = await learn(t, sim, 4, {}, start);
        for (const d of days) expect(d.hits).toBeLessThanOrEqual(1);
        const last = days.at(-1)!;
        expect(last.budget).toBeGreaterThanOrEqual(quota * 0.9);
        expect(last.budget).toBeLessThan(quota);
        // Settled: the last two days without a QUOTA_EXCEEDED, at that budget.
        expect(days.slice(-2).map((d) => d.hits)).toEqual([0, 0]);
        expect(days.at(-2)!.budget).toBe(last.budget);
      } finally {
        await t.drop();
      }
    });
  }

  it("never goes above an operator's explicit SPOTIFY_DAILY_BUDGET", { timeout: 120_000 }, async () => {
    const t = await createTestDatabase();
    try {
      sim.resetLimits();
      sim.setRateLimit({ windowCalls: 1_000_000, dailyCalls: 2600 });
      const days = await learn(t, sim, 2, { SPOTIFY_DAILY_BUDGET: "1200" });
      for (const d of days) {
        expect(d.hits).toBe(0);
        expect(d.budget).toBeLessThanOrEqual(1200);
        expect(d.calls).toBeLessThanOrEqual(1200);
      }
    } finally {
      await t.drop();
    }
  });
});
