import type { Kysely } from "kysely";
import type { z } from "zod";
import type { Database } from "../db/schema";
import { acquireCall, blockUntil, type RateBudgetOptions } from "./rate-budget";
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
    readonly reason: "rate" | "quota" | "daily_budget",
  ) {
    super(message);
  }
}
/** 5xx, timeouts, resets, malformed bodies: retried a few times, then this. */
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
  retries?: number;
  timeoutMs?: number;
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

  private async takeFromBudget(): Promise<void> {
    let waited = 0;
    for (;;) {
      const got = await acquireCall(this.opts.db, this.opts.budget);
      if (got.ok) return;
      if (got.reason !== "rate" || waited + got.waitMs > this.opts.maxWaitMs) {
        const reason = got.reason === "blocked" ? (got.detail === "QUOTA_EXCEEDED" ? "quota" : "rate") : got.reason === "daily_budget" ? "daily_budget" : "rate";
        throw new RateLimited(
          got.reason === "daily_budget"
            ? `The daily budget of ${this.opts.budget.perDay} calls is spent; it frees at ${got.until.toISOString()}.`
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
    const retries = this.opts.retries ?? 3;
    let rejected: string | undefined;
    let lastError = "";
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) {
        // Exponential backoff with full jitter: workers that failed together do not retry together.
        await this.sleep(Math.random() * Math.min(8000, 250 * 2 ** attempt));
      }
      await this.takeFromBudget();
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
        lastError = (err as Error).name === "TimeoutError" ? "timed out" : `network error (${(err as Error).message})`;
        continue;
      }
      bump(this.stats.statuses, `${endpoint} ${res.status}`);
      if (res.status === 429) {
        const body = errorBodySchema.safeParse(await res.json().catch(() => null));
        const quota = body.success && body.data.error.reason === "QUOTA_EXCEEDED";
        const until = new Date(Date.now() + retryAfter(res) * 1000);
        bump(this.stats.rateLimited, quota ? "quota" : "window");
        await blockUntil(this.opts.db, this.opts.budget.clientId, until, quota ? "QUOTA_EXCEEDED" : "rate limit");
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
        throw new NotFound(`Spotify has no ${endpoint} at ${path}.`);
      }
      if (res.status === 403) {
        await res.body?.cancel();
        throw new Forbidden(`Spotify does not allow ${endpoint} for this app (403).`);
      }
      if (res.status >= 500 || res.status === 408) {
        await res.body?.cancel();
        lastError = `Spotify answered ${res.status}`;
        continue;
      }
      if (!res.ok) {
        const text = await res.text().catch(() => "");
        throw new CallFailed(`Spotify answered ${res.status} to ${endpoint}: ${text.slice(0, 200)}`);
      }
      let json: unknown;
      try {
        json = await res.json();
      } catch {
        lastError = "the answer was not valid JSON";
        continue;
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) {
        lastError = `the answer did not have the expected shape (${parsed.error.issues[0]?.path.join(".") ?? "?"}: ${parsed.error.issues[0]?.message ?? ""})`;
        continue;
      }
      return parsed.data;
    }
    throw new CallFailed(`${endpoint} failed after ${retries + 1} attempts: ${lastError}.`);
  }
}
