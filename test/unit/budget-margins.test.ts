import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/lib/config/env";
import { refreshMarginMs, REFRESH_MARGIN_MS } from "../../src/lib/spotify/connection";
import { dailyBudget, loweredBudget, raisedBudget, rateBudgetOptions } from "../../src/lib/spotify/rate-budget";

const DAY = 86_400_000;
const t0 = new Date("2026-11-24T12:00:00Z");
const at = (ms: number) => new Date(t0.getTime() + ms);

describe("margins under Spotify's limits", () => {
  it("keeps burst plus 30 s of the steady rate 10 % under the window the settings describe", () => {
    const b = rateBudgetOptions(loadConfig({ SPOTIFY_CALLS_PER_MINUTE: "180", SPOTIFY_CALL_BURST: "10" }));
    // 180 a minute and 10 at once fill Spotify's 100 calls per 30 s exactly; Liner takes at most 90.
    expect(b.burst + (b.perMinute / 60) * 30).toBeLessThanOrEqual(90);
    expect(b.burst + (b.perMinute / 60) * 30).toBeGreaterThanOrEqual(89);
  });

  it("refreshes a token five minutes before expiry, or a tenth of its life when that is shorter", () => {
    const hour = { authorized_at: t0, last_refreshed_at: at(-3_600_000), expires_at: t0 };
    expect(refreshMarginMs(hour)).toBe(REFRESH_MARGIN_MS);
    const twoMinutes = { authorized_at: at(-DAY), last_refreshed_at: at(-120_000), expires_at: t0 };
    expect(refreshMarginMs(twoMinutes)).toBe(12_000);
    // Never refreshed: the lifetime runs from the authorisation.
    expect(refreshMarginMs({ authorized_at: at(-60_000), last_refreshed_at: null, expires_at: t0 })).toBe(6_000);
  });
});

describe("the learned daily budget", () => {
  const learnOpts = rateBudgetOptions(loadConfig({ SPOTIFY_CLIENT_ID: "x" }));
  const state = (o: Partial<{ learned_daily_budget: number | null; quota_hit_calls: number | null; quota_hit_at: Date | null; budget_changed_at: Date | null }>) => ({
    learned_daily_budget: null,
    quota_hit_calls: null,
    quota_hit_at: null,
    budget_changed_at: t0,
    ...o,
  });

  it("starts at SPOTIFY_DAILY_BUDGET's default and learns only when not set explicitly", () => {
    expect(learnOpts).toMatchObject({ perDay: 1000, learn: true, dailyCap: null });
    expect(rateBudgetOptions(loadConfig({ SPOTIFY_DAILY_BUDGET: "1500" }))).toMatchObject({ perDay: 1500, dailyCap: 1500 });
  });

  it("goes a margin below the calls a QUOTA_EXCEEDED came at", () => {
    expect(loweredBudget(learnOpts, 1101)).toBe(1045);
    expect(loweredBudget(learnOpts, 2601)).toBe(2470);
    expect(loweredBudget({ ...learnOpts, dailyCap: 1200 }, 2601)).toBe(1200);
  });

  it("rises step by step after a day without one: quickly before the first, then slowly, never past the last one's margin for a week, nor the cap", () => {
    expect(raisedBudget(learnOpts, state({}), at(DAY - 1))).toBeNull();
    expect(raisedBudget(learnOpts, state({}), at(DAY))).toBe(1500);
    const hit = state({ learned_daily_budget: 2470, quota_hit_calls: 2601, quota_hit_at: t0 });
    expect(raisedBudget(learnOpts, hit, at(2 * DAY))).toBeNull();
    expect(raisedBudget(learnOpts, { ...hit, budget_changed_at: at(6 * DAY) }, at(8 * DAY))).toBe(2594);
    expect(raisedBudget({ ...learnOpts, dailyCap: 1200 }, state({ learned_daily_budget: 1000 }), at(DAY))).toBe(1200);
    expect(dailyBudget({ ...learnOpts, dailyCap: 1200 }, { learned_daily_budget: 5000 })).toBe(1200);
  });
});
