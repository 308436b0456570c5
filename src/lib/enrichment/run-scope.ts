import type { Kysely } from "kysely";
import type { Config } from "../config/env";
import type { Database, RunStatus, RunTrigger } from "../db/schema";
import type { OutageBackoff } from "../spotify/rate-budget";
import { CallFailed, Forbidden, isItemError, NotFound, type WebApi } from "../spotify/web-api";
import type { BacklogOrder, PendingItem } from "./backlog";
import type { BatchResults } from "./results";

/** What a run needs from its caller (a worker's task, the cron route, `liner enrich`, a bench). */
export interface EnrichContext {
  db: Kysely<Database>;
  config: Config;
  /** The key that decrypts stored Spotify tokens. */
  tokenKey: Buffer;
  workerId?: string;
  sleep?: (ms: number) => Promise<void>;
  /** The worker is shutting down: stop starting calls, save, hand the rest back. */
  shouldStop?: () => boolean;
}

export interface EnrichOptions {
  /** Only this user; otherwise every eligible user in turn, least recently served first. */
  userId?: string;
  /** Unique items per run (per user). Default ENRICH_BATCH_SIZE (50). */
  batchSize?: number;
  /** Stop spending calls after this many (the work stays pending). */
  maxCalls?: number;
  /** Stop starting calls after this long. */
  maxMs?: number;
  /** The longest a run waits for the rate budget before it hands the rest back. */
  maxWaitMs?: number;
  /** The app-wide waits after Spotify's own trouble (default 1 minute, doubling to 15); tests shorten them. */
  serverErrorBackoff?: OutageBackoff;
  trigger?: RunTrigger;
  jobId?: string | null;
  /** The backlog's order: the most-played first (default), or the oldest first. */
  order?: BacklogOrder;
  /**
   * Fetch album-delivered tracks again for their ISRC (phase 5). Off by default: nothing in Liner
   * reads a catalogue track's ISRC (matching reads the ISRCs search results carry), and the backfill
   * turned album fetching's saving into a loss — n + 1 calls for an album's n listened tracks.
   */
  isrcBackfill?: boolean;
  /** Album-level fetching; default ENRICH_ALBUM_FETCH. */
  albumFetch?: boolean;
  onProgress?: (p: { userId: string; done: number; total: number }) => void;
}

/** Why the run stopped early; items not reached stay pending. */
export class StopRun extends Error {
  constructor(
    readonly status: RunStatus,
    message: string,
    readonly resumeAt: Date | null = null,
  ) {
    super(message);
  }
}

/**
 * One person's run as the phases that spend calls see it: the client, where results go, whether
 * another call may start, and the progress count.
 */
export class RunScope {
  private done = 0;

  constructor(
    readonly ctx: EnrichContext,
    readonly api: WebApi,
    readonly results: BatchResults,
    /** False once the run's call or time budget is spent or the worker stops. */
    readonly mayCall: () => boolean,
    private readonly onProgress: (done: number) => Promise<void>,
  ) {}

  /** Before each call: ends the run (the rest stays pending) when no more calls may start. */
  checkCanCall(): void {
    if (this.ctx.shouldStop?.()) throw new StopRun("partial", "The worker is stopping: the rest of the batch was handed back.");
    if (!this.mayCall()) throw new StopRun("partial", "The run's call or time budget is spent; the rest stays pending.");
  }

  /** `n` more items are settled: report progress (and save every so often). */
  async advance(n = 1): Promise<void> {
    this.done += n;
    await this.onProgress(this.done);
  }

  /** Per-item outcomes of a call: not found and failed are the item's; limits stop the batch. */
  async perItem(item: PendingItem, call: () => Promise<void>): Promise<void> {
    try {
      await call();
    } catch (err) {
      if (err instanceof NotFound) this.results.notFound(item, err.message);
      else if (err instanceof CallFailed || err instanceof Forbidden) this.results.failed(item, err.message);
      else throw err;
    }
  }
}

/** Low-priority fetches: an item that fails is left for another day; limits still stop the run. */
export async function bestEffort<T>(call: () => Promise<T>): Promise<T[]> {
  try {
    return [await call()];
  } catch (err) {
    if (isItemError(err)) return [];
    throw err;
  }
}
