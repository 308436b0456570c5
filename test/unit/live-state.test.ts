import { describe, expect, it } from "vitest";
import { humaniseNote, stamp, stateLine, timeLeft, when, type TimeLeftInput } from "../../src/lib/monitoring/live-state";

// A fixed clock in a zone that is not UTC: every time must come out in the reader's zone.
const now = new Date("2026-03-04T10:00:00Z"); // 11:00 in Stockholm (CET)
const clock = { now, timeZone: "Europe/Stockholm" };
const base: TimeLeftInput = {
  connection: "valid",
  calls: 625,
  perMinute: 240,
  perDay: 1000,
  usedToday: 0,
  budgetFreesAt: null,
  blockedUntil: null,
  blockedReason: null,
};
const at = (ms: number) => new Date(now.getTime() + ms).toISOString();

describe("the time left", () => {
  it("fits in today's budget: minutes at the rate", () => {
    const t = timeLeft({ ...base, usedToday: 100 }, clock)!;
    expect(t.text).toBe("about 3 minutes at 240 calls a minute");
    expect(t.seconds).toBeCloseTo((625 / 240) * 60);
    expect(t.resumesAt).toBeNull();
  });

  it("today's budget spent: days at a day's budget, and when calls go again, in the reader's zone", () => {
    const t = timeLeft({ ...base, calls: 2625, usedToday: 1000, budgetFreesAt: at(4 * 3600_000 + 5 * 60_000) }, clock)!;
    expect(t.text).toBe("today's budget is spent; about 2 days at 1,000 calls a day; next calls at 15:05");
    expect(t.seconds).toBeGreaterThan(86_400);
    expect(t.resumesAt).toBe(at(4 * 3600_000 + 5 * 60_000));
    // Never "minutes at the rate" beside a spent budget, whatever the calls left.
    expect(timeLeft({ ...base, calls: 10, usedToday: 1000, budgetFreesAt: at(3600_000) }, clock)!.text).toBe(
      "today's budget is spent; about 1 hour at 1,000 calls a day; next calls at 12:00",
    );
  });

  it("partly spent: the rest of today at the rate, then a day's budget a day", () => {
    const t = timeLeft({ ...base, calls: 2500, usedToday: 400, budgetFreesAt: at(20 * 3600_000) }, clock)!;
    // 600 today, then 1,000 a day for two more days.
    expect(t.text).toBe("about 2 days at 1,000 calls a day (600 calls left today)");
    expect(t.seconds).toBeGreaterThan(1.5 * 86_400);
  });

  it("blocked by Spotify's quota: counts from when it lifts and names it", () => {
    const t = timeLeft({ ...base, calls: 3000, blockedUntil: at(30 * 3600_000), blockedReason: "QUOTA_EXCEEDED" }, clock)!;
    expect(t.text).toBe("Spotify's daily quota is reached; about 3 days at 1,000 calls a day; next calls on Thu 17:00");
    expect(t.resumesAt).toBe(at(30 * 3600_000));
  });

  it("waiting on a rate limit: the wait is counted and said relative", () => {
    const t = timeLeft({ ...base, calls: 200, blockedUntil: at(20_000), blockedReason: "rate limit" }, clock)!;
    expect(t.text).toBe("about a minute at 240 calls a minute; waiting for Spotify's rate limit, next calls in 20 s");
    expect(t.seconds).toBeCloseTo(20 + 50);
    // A long wait is not "about a minute".
    const long = timeLeft({ ...base, calls: 200, blockedUntil: at(150_000), blockedReason: "rate limit" }, clock)!;
    expect(long.text).toMatch(/^about 3 minutes .* next calls in 3 min$/);
  });

  it("Spotify unavailable: says so, with the next try", () => {
    const t = timeLeft({ ...base, calls: 200, blockedUntil: at(45_000), blockedReason: "SERVER_ERROR" }, clock)!;
    expect(t.text).toBe("about 2 minutes at 240 calls a minute; Spotify is having trouble, next try in 45 s");
  });

  it("disconnected or needing a reconnect: no estimate", () => {
    expect(timeLeft({ ...base, connection: "not_connected" }, clock)).toBeNull();
    expect(timeLeft({ ...base, connection: "needs_reconnect", blockedUntil: at(20_000), blockedReason: "rate limit" }, clock)).toBeNull();
  });

  it("nothing left", () => {
    expect(timeLeft({ ...base, calls: 0 }, clock)!.text).toBe("nothing left to fetch");
  });
});

describe("times and states in words", () => {
  it("says moments relative when close, else the reader's clock", () => {
    expect(when(at(20_000), clock)).toBe("in 20 s");
    expect(when(at(4 * 60_000), clock)).toBe("in 4 min");
    expect(when(at(3 * 3600_000), clock)).toBe("at 14:00");
    expect(when(at(30 * 3600_000), clock)).toBe("on Thu 17:00");
    expect(when(at(3 * 3600_000), { now, timeZone: "America/New_York" })).toBe("at 08:00");
  });

  it("stamps runs and their notes without ISO strings", () => {
    expect(stamp(at(-3600_000), clock)).toBe("10:00");
    expect(stamp(at(-2 * 86_400_000), clock)).toBe("Mon 11:00");
    const note = humaniseNote("Spotify's rate limit: wait until 2026-03-04T10:00:20.000Z.", clock);
    expect(note).toBe("Spotify's rate limit: wait until 11:00:20.");
    expect(note).not.toMatch(/\dT\d/);
  });

  it("ends a state's sentence with its time once the page has a clock", () => {
    const s = { text: "Waiting for Spotify's rate limit; next calls", until: at(20_000) };
    expect(stateLine(s, clock)).toBe("Waiting for Spotify's rate limit; next calls in 20 s.");
    expect(stateLine(s, null)).toBe("Waiting for Spotify's rate limit; next calls…");
    expect(stateLine({ text: "Everything that can be enriched is.", until: null }, clock)).toBe("Everything that can be enriched is.");
  });
});
