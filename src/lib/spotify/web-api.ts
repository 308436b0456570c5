import type { Kysely } from "kysely";
import type { z } from "zod";
import type { Database } from "../db/schema";
import { acquireCall, blockForOutage, blockUntil, endOutage, recordQuotaExceeded, SERVER_ERROR, type OutageBackoff, type RateBudgetOptions } from "./rate-budget";
import { errorBodySchema } from "./schemas";

/**
 * Calls to the Web API, each one paid for from the shared rate budget first. Every outcome a
 * caller must treat differently is its own error class, so nothing is mistaken for "not found".
 */
export class NotFound extends Error {
  readonly kind = "not_found";
}
/** A 429 or the daily budget: stop spending calls until `until`; the work stays pending. */
export class RateLimited extends Error {
  readonly kind = "rate_limited";
  constructor(
    message: string,
    readonly until: Date,
    readonly reason: "rate" | "quota" | "daily_budget" | "unavailable",
  ) {
    super(message);
  }
}
/**
 * Spotify itself is failing — 5xx, 408, timeouts, connection resets, truncated or non-JSON bodies —
 * through a call's retries: the service's fault, not the item's. Every worker waits until `until`
 * (growing while the outage lasts); the work stays pending.
 */
export class SpotifyUnavailable extends RateLimited {
  constructor(message: string, until: Date) {
    super(message, until, "unavailable");
  }
}
/**
 * An answer about this item that cannot be used: a 4xx other than 401/403/404/429 (a 400 for this
 * id), or a body that is JSON but not the object asked for. Not retried: asking again gets the same.
 */
export class CallFailed extends Error {
  readonly kind = "failed";
}
/** 403 on an endpoint this app may not use (batch endpoints in development mode). */
export class Forbidden extends Error {
  readonly kind = "forbidden";
}
/** The user's token was refused even after a refresh. */
export class Unauthorized extends Error {
  readonly kind = "unauthorized";
}

/** Errors that belong to one item (it is not found, or failed): the batch goes on without it. */
export function isItemError(err: unknown): err is NotFound | CallFailed | Forbidden {
  return err instanceof NotFound || err instanceof CallFailed || err instanceof Forbidden;
}

export interface CallStats {
  calls: Record<string, number>;
  statuses: Record<string, number>;
  rateLimited: Record<string, number>;
  waitMs: number;
}

export function emptyStats(): CallStats {
  return { calls: {}, statuses: {}, rateLimited: {}, waitMs: 0 };
}

export interface WebApiOptions {
  db: Kysely<Database>;
  baseUrl: string;
  budget: RateBudgetOptions;
  /** Returns a usable token; `rejected` is the one the API just refused with 401. */
  token: (rejected?: string) => Promise<string>;
  /** Waiting longer than this for the budget ends the run (the work stays pending). */
  maxWaitMs: number;
  /** Quick retries of a call that met Spotify's trouble, before the whole app backs off. */
  retries?: number;
  timeoutMs?: number;
  /** The app-wide wait after Spotify's trouble outlasts the retries (default 1 minute doubling to 15). */
  serverErrorBackoff?: OutageBackoff;
  stats?: CallStats;
  sleep?: (ms: number) => Promise<void>;
}

const bump = (rec: Record<string, number>, key: string, n = 1) => {
  rec[key] = (rec[key] ?? 0) + n;
};

function retryAfter(res: Response): number {
  const v = Number(res.headers.get("retry-after"));
  return Number.isFinite(v) && v > 0 ? v : 1;
}

export class WebApi {
  readonly stats: CallStats;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly opts: WebApiOptions) {
    this.stats = opts.stats ?? emptyStats();
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** Takes one call from the shared budget; returns since when Spotify has been failing, if it is. */
  private async takeFromBudget(): Promise<Date | null> {
    let waited = 0;
    for (;;) {
      const got = await acquireCall(this.opts.db, this.opts.budget);
      if (got.ok) return got.unavailableSince ?? null;
      if (got.reason === "blocked" && got.detail === SERVER_ERROR) {
        throw new SpotifyUnavailable(`Spotify is having trouble; the next try is at ${got.until.toISOString()}.`, got.until);
      }
      if (got.reason !== "rate" || waited + got.waitMs > this.opts.maxWaitMs) {
        const reason = got.reason === "blocked" ? (got.detail === "QUOTA_EXCEEDED" ? "quota" : "rate") : got.reason === "daily_budget" ? "daily_budget" : "rate";
        throw new RateLimited(
          got.reason === "daily_budget"
            ? `The daily budget is spent (${got.detail ?? ""}); it frees at ${got.until.toISOString()}.`
            : got.reason === "blocked"
              ? `Spotify asked us to wait (${got.detail ?? "429"}) until ${got.until.toISOString()}.`
              : `The rate budget needs a ${got.waitMs} ms wait, longer than this run may wait.`,
          got.until,
          reason,
        );
      }
      waited += got.waitMs;
      this.stats.waitMs += got.waitMs;
      await this.sleep(got.waitMs);
    }
  }

  /**
   * GET `path` (relative to the API base) and validate the answer with `schema`. `endpoint` names
   * the call in the stats ("tracks/{id}", "search", …).
   */
  async get<S extends z.ZodTypeAny>(endpoint: string, path: string, schema: S): Promise<z.infer<S>> {
    const { db, budget } = this.opts;
    let attempts = (this.opts.retries ?? 3) + 1;
    let rejected: string | undefined;
    let lastError = "";
    let failingSince: Date | null = null;
    /** Spotify answered (not a server fault): an outage, if there was one, is over. */
    const answered = async () => {
      if (failingSince) await endOutage(db, budget.clientId);
      failingSince = null;
    };
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) {
        // Exponential backoff with full jitter: workers that failed together do not retry together.
        await this.sleep(Math.random() * Math.min(8000, 250 * 2 ** attempt));
      }
      const since = await this.takeFromBudget();
      if (since && attempt === 0) {
        // Spotify has been failing: this call only probes whether it is back, with no retries, so an
        // outage of hours costs one call a try.
        failingSince = since;
        attempts = 1;
      }
      const token = await this.opts.token(rejected);
      bump(this.stats.calls, endpoint);
      let res: Response;
      try {
        res = await fetch(`${this.opts.baseUrl}${path}`, {
          headers: { authorization: `Bearer ${token}`, accept: "application/json" },
          signal: AbortSignal.timeout(this.opts.timeoutMs ?? 15_000),
        });
      } catch (err) {
        bump(this.stats.statuses, `${endpoint} network`);
        lastError = (err as Error).name === "TimeoutError" ? "it timed out" : `network error (${(err as Error).message})`;
        continue;
      }
      bump(this.stats.statuses, `${endpoint} ${res.status}`);
      if (res.status >= 500 || res.status === 408) {
        await res.body?.cancel();
        lastError = `it answered ${res.status}`;
        continue;
      }
      if (res.status === 429) {
        await answered();
        const body = errorBodySchema.safeParse(await res.json().catch(() => null));
        const quota = body.success && body.data.error.reason === "QUOTA_EXCEEDED";
        const now = budget.now?.() ?? new Date();
        const until = new Date(now.getTime() + retryAfter(res) * 1000);
        bump(this.stats.rateLimited, quota ? "quota" : "window");
        // The quota is where the rolling day's calls now are: learn it, then wait for it to roll.
        if (quota && budget.learn) await recordQuotaExceeded(db, budget, now);
        await blockUntil(db, budget.clientId, until, quota ? "QUOTA_EXCEEDED" : "rate limit", now);
        throw new RateLimited(
          quota ? `Spotify's daily quota is used up; it resumes at ${until.toISOString()}.` : `Spotify's rate limit: wait until ${until.toISOString()}.`,
          until,
          quota ? "quota" : "rate",
        );
      }
      if (res.status === 401) {
        await res.body?.cancel();
        if (rejected !== undefined) throw new Unauthorized("Spotify refused the access token even after a refresh.");
        rejected = token;
        attempt--; // a refresh is not a retry of a failure
        continue;
      }
      if (res.status === 404) {
        await res.body?.cancel();
        await answered();
        throw new NotFound(`Spotify has no ${endpoint} at ${path}.`);
      }
      if (res.status === 403) {
        await res.body?.cancel();
        await answered();
        throw new Forbidden(`Spotify does not allow ${endpoint} for this app (403).`);
      }
      if (!res.ok) {
        const text = await res.text().catch(() => "");
        await answered();
        throw new CallFailed(`Spotify answered ${res.status} to ${endpoint}: ${text.slice(0, 200)}`);
      }
      let json: unknown;
      try {
        json = await res.json();
      } catch {
        // Cut off or not JSON at all: the answer broke on the way, which says nothing about the item.
        lastError = "its answer was cut off or not JSON";
        continue;
      }
      await answered();
      const parsed = schema.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new CallFailed(`Spotify's answer to ${endpoint} did not have the expected shape (${issue?.path.join(".") ?? "?"}: ${issue?.message ?? ""}).`);
      }
      return parsed.data;
    }
    // Every try met Spotify's own trouble: the whole app backs off, the item stays pending.
    const { until } = await blockForOutage(db, budget.clientId, this.opts.serverErrorBackoff);
    throw new SpotifyUnavailable(
      `Spotify is having trouble (${endpoint}: ${lastError}, ${attempts} ${attempts === 1 ? "try" : "tries"}); every worker waits until ${until.toISOString()}.`,
      until,
    );
  }
}
