import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acquireCall, blockUntil, rateState, rememberBatchEndpoints } from "../../src/lib/spotify/rate-budget";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

describe("the shared Spotify rate budget", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t.drop());

  const t0 = new Date("2026-11-24T12:00:00Z");
  const at = (ms: number) => new Date(t0.getTime() + ms);

  it("grants a burst, then paces calls at the configured rate", async () => {
    const opts = { clientId: "pace", perMinute: 60, burst: 5, perDay: 1000 };
    for (let i = 0; i < 5; i++) expect((await acquireCall(t.db, opts, t0)).ok).toBe(true);
    const held = await acquireCall(t.db, opts, t0);
    expect(held).toMatchObject({ ok: false, reason: "rate" });
    expect(held.ok === false && held.waitMs).toBe(1000);
    expect((await acquireCall(t.db, opts, at(500))).ok).toBe(false);
    expect((await acquireCall(t.db, opts, at(1000))).ok).toBe(true);
  });

  it("gives exactly the burst to many workers asking at the same moment", async () => {
    const opts = { clientId: "race", perMinute: 60, burst: 10, perDay: 1000 };
    const results = await Promise.all(Array.from({ length: 25 }, () => acquireCall(t.db, opts, t0)));
    expect(results.filter((r) => r.ok)).toHaveLength(10);
  });

  it("stops at the daily budget until the oldest calls leave the 24-hour window", async () => {
    const opts = { clientId: "daily", perMinute: 6000, burst: 100, perDay: 3 };
    expect((await acquireCall(t.db, opts, t0)).ok).toBe(true);
    expect((await acquireCall(t.db, opts, at(120_000))).ok).toBe(true);
    expect((await acquireCall(t.db, opts, at(240_000))).ok).toBe(true);
    const held = await acquireCall(t.db, opts, at(300_000));
    expect(held).toMatchObject({ ok: false, reason: "daily_budget" });
    if (held.ok) throw new Error("unreachable");
    expect(held.until.getTime()).toBe(t0.getTime() + 86_400_000 + 60_000);
    expect((await acquireCall(t.db, opts, at(86_400_000 + 60_000))).ok).toBe(true);
    expect((await rateState(t.db, "daily", at(86_400_000 + 60_000))).usedToday).toBe(3);
  });

  it("a 429 blocks every worker until Retry-After, and a shorter block never shortens it", async () => {
    const opts = { clientId: "blocked", perMinute: 600, burst: 10, perDay: 1000 };
    await blockUntil(t.db, "blocked", at(3_600_000), "QUOTA_EXCEEDED", t0);
    await blockUntil(t.db, "blocked", at(5_000), "rate limit", t0);
    const held = await acquireCall(t.db, opts, t0);
    expect(held).toMatchObject({ ok: false, reason: "blocked", detail: "QUOTA_EXCEEDED", waitMs: 3_600_000 });
    expect(await rateState(t.db, "blocked", t0)).toMatchObject({ blockedReason: "QUOTA_EXCEEDED" });
    expect((await acquireCall(t.db, opts, at(3_600_000))).ok).toBe(true);
  });

  it("remembers whether the app has batch endpoints", async () => {
    expect((await rateState(t.db, "batch")).batchEndpoints).toBe("unknown");
    await rememberBatchEndpoints(t.db, "batch", "unavailable");
    expect((await rateState(t.db, "batch")).batchEndpoints).toBe("unavailable");
  });
});
