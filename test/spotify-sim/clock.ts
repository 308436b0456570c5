/**
 * The simulator's time. `timeScale` makes it run faster than the wall clock (86,400 turns a day
 * into a second) and `advance` jumps ahead, so token lifetimes, the 30-second window and the daily
 * quota can be tested in seconds.
 */
export class SimClock {
  private readonly startReal = Date.now();
  private offsetMs = 0;
  constructor(readonly timeScale = 1) {
    if (!(timeScale > 0)) throw new Error("timeScale must be > 0");
  }
  now(): number {
    return this.startReal + (Date.now() - this.startReal) * this.timeScale + this.offsetMs;
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
  /** Simulated milliseconds as wall-clock seconds, for Retry-After. */
  toRealSeconds(simMs: number): number {
    return Math.max(1, Math.ceil(simMs / this.timeScale / 1000));
  }
}
