import { Rng } from "./random";

/** "rate_limit" is a 429 (Retry-After 1) whatever the window holds: only ever queued, never random. */
export type FaultKind = "server_error" | "slow" | "truncated" | "malformed" | "reset" | "rate_limit";

export interface FaultOptions {
  seed: string;
  /** Added to every /v1 answer, in wall-clock milliseconds. */
  latencyMs: number;
  /** Shares of /v1 calls that get each fault, drawn from the seeded generator in call order. */
  serverErrorRate: number;
  slowRate: number;
  slowMs: number;
  truncatedRate: number;
  malformedRate: number;
  resetRate: number;
}

export const noFaults: FaultOptions = {
  seed: "faults",
  latencyMs: 0,
  serverErrorRate: 0,
  slowRate: 0,
  slowMs: 2_000,
  truncatedRate: 0,
  malformedRate: 0,
  resetRate: 0,
};

/**
 * Which /v1 calls go wrong. Random faults follow the seed (the same seed and call order give the
 * same faults); `queue` forces the next calls' faults, for tests that need one exact failure.
 */
export class Faults {
  private rng: Rng;
  private queued: (FaultKind | null)[] = [];

  constructor(public options: FaultOptions) {
    this.rng = new Rng(options.seed);
  }

  set(options: Partial<FaultOptions>) {
    this.options = { ...this.options, ...options };
    if (options.seed !== undefined) this.rng = new Rng(options.seed);
  }

  /** The next calls get these faults, in order (null: no fault). */
  queue(kinds: (FaultKind | null)[]) {
    this.queued.push(...kinds);
  }

  next(): FaultKind | null {
    if (this.queued.length > 0) return this.queued.shift()!;
    const o = this.options;
    const r = this.rng.next();
    let edge = 0;
    for (const [kind, rate] of [
      ["server_error", o.serverErrorRate],
      ["reset", o.resetRate],
      ["truncated", o.truncatedRate],
      ["malformed", o.malformedRate],
      ["slow", o.slowRate],
    ] as const) {
      edge += rate;
      if (r < edge) return kind;
    }
    return null;
  }
}
