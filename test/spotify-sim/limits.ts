import type { SimClock } from "./clock";

export interface LimitOptions {
  /** Calls allowed in any rolling window of `windowSeconds` (Spotify: 30 s). */
  windowCalls: number;
  windowSeconds: number;
  /** Calls allowed in any rolling day: the quota Spotify added in 2026 (reported ~1,100–2,600). */
  dailyCalls: number;
  daySeconds: number;
}

export const defaultLimits: LimitOptions = { windowCalls: 100, windowSeconds: 30, dailyCalls: 2_000, daySeconds: 86_400 };

export type LimitVerdict = { ok: true } | { ok: false; reason: "rate" | "quota"; retryAfterMs: number };

/** Calls of one client id, in order; both limits are rolling windows over them. */
class CallLog {
  private times: number[] = [];
  private head = 0;
  push(t: number) {
    this.times.push(t);
  }
  /** Drops calls older than the longest window. */
  prune(before: number) {
    while (this.head < this.times.length && this.times[this.head]! < before) this.head++;
    if (this.head > 10_000) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
  }
  /** How many calls at or after `since`, and the time of the k-th oldest of them. */
  countSince(since: number): number {
    let lo = this.head;
    let hi = this.times.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.times[mid]! < since) lo = mid + 1;
      else hi = mid;
    }
    return this.times.length - lo;
  }
  nthFromEnd(n: number): number {
    return this.times[this.times.length - n]!;
  }
}

/**
 * Spotify's two limits per client id. Every /v1 call counts, whatever it answers (429s included):
 * a client that keeps calling while limited stays limited, as on Spotify.
 */
export class Limits {
  private readonly logs = new Map<string, CallLog>();
  /** The most calls seen in any rolling window, per client: what a test asserts a client stayed under. */
  readonly maxInWindow = new Map<string, number>();

  constructor(
    private readonly clock: SimClock,
    public options: LimitOptions,
  ) {}

  /** Records one call and says whether it may be answered. */
  record(clientId: string): LimitVerdict {
    const now = this.clock.now();
    let log = this.logs.get(clientId);
    if (!log) this.logs.set(clientId, (log = new CallLog()));
    const { windowCalls, windowSeconds, dailyCalls, daySeconds } = this.options;
    log.prune(now - Math.max(windowSeconds, daySeconds) * 1000);
    log.push(now);
    const inDay = log.countSince(now - daySeconds * 1000 + 1);
    const inWindow = log.countSince(now - windowSeconds * 1000 + 1);
    this.maxInWindow.set(clientId, Math.max(this.maxInWindow.get(clientId) ?? 0, inWindow));
    // Retry-After: when enough old calls have left the window for one more to fit.
    if (inDay > dailyCalls) {
      return { ok: false, reason: "quota", retryAfterMs: log.nthFromEnd(dailyCalls) + daySeconds * 1000 - now };
    }
    if (inWindow > windowCalls) {
      return { ok: false, reason: "rate", retryAfterMs: log.nthFromEnd(windowCalls) + windowSeconds * 1000 - now };
    }
    return { ok: true };
  }

  reset() {
    this.logs.clear();
    this.maxInWindow.clear();
  }
}
