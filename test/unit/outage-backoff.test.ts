import { describe, expect, it } from "vitest";
import { DEFAULT_OUTAGE_BACKOFF, outageWaitMs } from "../../src/lib/spotify/rate-budget";

describe("the wait after Spotify's own trouble", () => {
  it("is 1, 2, 4, 8, then 15 minutes at most, so a long outage costs four tries an hour", () => {
    expect([1, 2, 3, 4, 5, 6, 50].map((strike) => outageWaitMs(strike) / 60_000)).toEqual([1, 2, 4, 8, 15, 15, 15]);
    expect(DEFAULT_OUTAGE_BACKOFF).toEqual({ firstMs: 60_000, maxMs: 900_000 });
    // A day of outage: the first hour's tries, then four an hour.
    let elapsed = 0;
    let tries = 0;
    while (elapsed < 86_400_000) elapsed += outageWaitMs(++tries);
    expect(tries).toBeLessThanOrEqual(100);
  });
});
