import { sql, type Kysely } from "kysely";
import type { Config } from "../config/env";
import type { Database } from "../db/schema";

/**
 * The rate budget of one Spotify app, kept in PostgreSQL so that every worker on every machine
 * draws from the same one. Spotify's limits are per app, not per process.
 */
export interface RateBudgetOptions {
  clientId: string;
  /** Steady rate (the guide's default is 180 calls a minute). */
  perMinute: number;
  /** Calls that may go at once after a quiet spell; keeps any 30-second window under the limit. */
  burst: number;
  /**
   * Calls allowed in any rolling 24 hours (Spotify's development-mode quota is unpublished). With
   * `learn`, the starting figure until one is learned — or, with `dailyCap`, the cap.
   */
  perDay: number;
  /** Learn the daily budget from QUOTA_EXCEEDED answers and days without one (see `learnedBudget`). */
  learn?: boolean;
  /** An operator's explicit SPOTIFY_DAILY_BUDGET: the learned figure never goes above it. */
  dailyCap?: number | null;
  /** The clock (tests drive it with the simulator's). */
  now?: () => Date;
}

/**
 * The share of Spotify's 30-second window Liner uses: the configured rate and burst describe the
 * limit itself (180 a minute and 10 at once fill it exactly), so both are taken 10 % under it —
 * one margin for every worker, since they all draw from the one bucket.
 */
export const WINDOW_SHARE = 0.9;

/**
 * The budget of the app the configuration names (its client id keys the shared state). The daily
 * budget is learned (starting from SPOTIFY_DAILY_BUDGET's default); an explicitly set
 * SPOTIFY_DAILY_BUDGET caps it.
 */
/** Where the learned daily budget starts when no SPOTIFY_DAILY_BUDGET is set. */
export const DEFAULT_DAILY_BUDGET = 1000;

export function rateBudgetOptions(config: Config, overrides: Partial<RateBudgetOptions> = {}): RateBudgetOptions {
  return {
    clientId: config.SPOTIFY_CLIENT_ID ?? "unconfigured",
    perMinute: config.SPOTIFY_CALLS_PER_MINUTE * WINDOW_SHARE,
    burst: Math.max(1, Math.floor(config.SPOTIFY_CALL_BURST * WINDOW_SHARE)),
    perDay: config.SPOTIFY_DAILY_BUDGET ?? DEFAULT_DAILY_BUDGET,
    learn: true,
    dailyCap: config.SPOTIFY_DAILY_BUDGET ?? null,
    ...overrides,
  };
}

/** After a QUOTA_EXCEEDED, the budget is kept this share of what the rolling day held. */
export const QUOTA_MARGIN = 0.95;
/** Raises after a day without a QUOTA_EXCEEDED: large until the first one, small after it. */
export const RAISE_BEFORE_FIRST_HIT = 1.5;
export const RAISE_AFTER_HIT = 1.05;
/** For this many days after a QUOTA_EXCEEDED, raises stop at the margin below it. */
export const HIT_MEMORY_DAYS = 7;
/** The learned budget never goes below this. */
export const MIN_LEARNED_BUDGET = 100;
/** The learned budget never goes above this without an explicit cap (the schema's maximum). */
export const MAX_LEARNED_BUDGET = 1_000_000;

interface LearningState {
  learned_daily_budget: number | null;
  quota_hit_calls: number | null;
  quota_hit_at: Date | null;
  budget_changed_at: Date | null;
}

/** The daily budget in force: the learned figure, or the configured one, never above a cap. */
export function dailyBudget(opts: RateBudgetOptions, state: Pick<LearningState, "learned_daily_budget"> | undefined): number {
  if (!opts.learn) return opts.perDay;
  const figure = state?.learned_daily_budget ?? opts.perDay;
  return opts.dailyCap ? Math.min(figure, opts.dailyCap) : figure;
}

/**
 * The budget after a day spent at it without a QUOTA_EXCEEDED: × 1.5 until Spotify has said where
 * its quota is, then × 1.05 — but for a week after a QUOTA_EXCEEDED no higher than the margin below
 * it, so a settled budget meets the quota at most once a week. Never above the cap. Null when
 * nothing changes (not a day yet, or at a limit).
 */
export function raisedBudget(opts: RateBudgetOptions, state: LearningState, now: Date): number | null {
  if (!opts.learn || !state.budget_changed_at) return null;
  if (now.getTime() - state.budget_changed_at.getTime() < DAY_MS) return null;
  const current = dailyBudget(opts, state);
  const hitRecently = state.quota_hit_at !== null && state.quota_hit_calls !== null && now.getTime() - state.quota_hit_at.getTime() < HIT_MEMORY_DAYS * DAY_MS;
  let next = Math.ceil(current * (state.quota_hit_at ? RAISE_AFTER_HIT : RAISE_BEFORE_FIRST_HIT));
  if (hitRecently) next = Math.min(next, Math.floor(state.quota_hit_calls! * QUOTA_MARGIN));
  next = Math.min(next, opts.dailyCap ?? MAX_LEARNED_BUDGET);
  return next > current ? next : null;
}

/** The budget after a QUOTA_EXCEEDED with `used` calls in the rolling day: the margin below it. */
export function loweredBudget(opts: RateBudgetOptions, used: number): number {
  const next = Math.max(MIN_LEARNED_BUDGET, Math.floor(used * QUOTA_MARGIN));
  return opts.dailyCap ? Math.min(next, opts.dailyCap) : next;
}

/**
 * Spotify answered QUOTA_EXCEEDED: the rolling day's calls are where its quota is. The budget is
 * set a margin below them (every worker's calls counted, since they share the app). Several workers
 * hit at once record nearly the same figure. Returns the new budget.
 */
export async function recordQuotaExceeded(db: Kysely<Database>, opts: RateBudgetOptions, now = opts.now?.() ?? new Date()): Promise<number> {
  const day = await db
    .selectFrom("spotify_call_counts")
    .select([sql<string>`coalesce(sum(calls), 0)`.as("used")])
    .where("client_id", "=", opts.clientId)
    .where("minute", ">", new Date(now.getTime() - DAY_MS))
    .executeTakeFirstOrThrow();
  const used = Number(day.used);
  const budget = loweredBudget(opts, used);
  await db
    .insertInto("spotify_rate_state")
    .values({ client_id: opts.clientId, tokens: 0, refilled_at: now, learned_daily_budget: budget, quota_hit_calls: used, quota_hit_at: now, budget_changed_at: now })
    .onConflict((oc) => oc.column("client_id").doUpdateSet({ learned_daily_budget: budget, quota_hit_calls: used, quota_hit_at: now, budget_changed_at: now, updated_at: now }))
    .execute();
  return budget;
}

export type Acquired =
  /** `unavailableSince`: Spotify has been failing since then (this call is a probe). */
  | { ok: true; unavailableSince?: Date }
  /** Not now: try again after `waitMs`. `reason` says which limit holds the call back. */
  | { ok: false; waitMs: number; reason: "rate" | "daily_budget" | "blocked"; until: Date; detail: string | null };

const DAY_MS = 86_400_000;

/**
 * Takes one call from the budget, or says how long to wait. Atomic across workers: the app's state
 * row is locked for the few statements this takes.
 */
export async function acquireCall(db: Kysely<Database>, opts: RateBudgetOptions, now = opts.now?.() ?? new Date()): Promise<Acquired> {
  return db.transaction().execute(async (tx) => {
    await tx
      .insertInto("spotify_rate_state")
      .values({ client_id: opts.clientId, tokens: opts.burst, refilled_at: now, budget_changed_at: now })
      .onConflict((oc) => oc.column("client_id").doNothing())
      .execute();
    const state = await tx
      .selectFrom("spotify_rate_state")
      .selectAll()
      .where("client_id", "=", opts.clientId)
      .forUpdate()
      .executeTakeFirstOrThrow();

    if (state.blocked_until && state.blocked_until > now) {
      return { ok: false, waitMs: state.blocked_until.getTime() - now.getTime(), reason: "blocked", until: state.blocked_until, detail: state.blocked_reason };
    }

    const since = new Date(now.getTime() - DAY_MS);
    const day = await tx
      .selectFrom("spotify_call_counts")
      .select([sql<string>`coalesce(sum(calls), 0)`.as("used")])
      .where("client_id", "=", opts.clientId)
      .where("minute", ">", since)
      .executeTakeFirstOrThrow();
    let perDay = dailyBudget(opts, state);
    if (Number(day.used) >= perDay) {
      // A day spent at the learned budget without a QUOTA_EXCEEDED: one step up.
      const raised = raisedBudget(opts, { ...state, budget_changed_at: state.budget_changed_at ?? now }, now);
      if (raised !== null) {
        await tx.updateTable("spotify_rate_state").set({ learned_daily_budget: raised, budget_changed_at: now }).where("client_id", "=", opts.clientId).execute();
        perDay = raised;
      } else if (!state.budget_changed_at && opts.learn) {
        await tx.updateTable("spotify_rate_state").set({ budget_changed_at: now }).where("client_id", "=", opts.clientId).execute();
      }
    }
    if (Number(day.used) >= perDay) {
      // The budget frees as the oldest counted minutes leave the 24-hour window.
      const excess = Number(day.used) - perDay + 1;
      const rows = await tx
        .selectFrom("spotify_call_counts")
        .select(["minute", "calls"])
        .where("client_id", "=", opts.clientId)
        .where("minute", ">", since)
        .orderBy("minute")
        .execute();
      let freed = 0;
      let at = rows[0]?.minute ?? now;
      for (const r of rows) {
        freed += r.calls;
        at = r.minute;
        if (freed >= excess) break;
      }
      const until = new Date(at.getTime() + DAY_MS + 60_000);
      return { ok: false, waitMs: until.getTime() - now.getTime(), reason: "daily_budget", until, detail: `${day.used} calls in the last 24 hours (budget ${perDay})` };
    }

    const perMs = opts.perMinute / 60_000;
    const elapsed = Math.max(0, now.getTime() - state.refilled_at.getTime());
    const tokens = Math.min(opts.burst, state.tokens + elapsed * perMs);
    if (tokens < 1) {
      const waitMs = Math.ceil((1 - tokens) / perMs);
      await tx.updateTable("spotify_rate_state").set({ tokens, refilled_at: now }).where("client_id", "=", opts.clientId).execute();
      return { ok: false, waitMs, reason: "rate", until: new Date(now.getTime() + waitMs), detail: null };
    }
    await tx
      .updateTable("spotify_rate_state")
      .set({ tokens: tokens - 1, refilled_at: now, updated_at: now })
      .where("client_id", "=", opts.clientId)
      .execute();
    const minute = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
    await tx
      .insertInto("spotify_call_counts")
      .values({ client_id: opts.clientId, minute, calls: 1 })
      .onConflict((oc) => oc.columns(["client_id", "minute"]).doUpdateSet({ calls: sql`spotify_call_counts.calls + 1` }))
      .execute();
    return state.unavailable_since ? { ok: true, unavailableSince: state.unavailable_since } : { ok: true };
  });
}

/** A 429 from Spotify holds every worker back until Retry-After has passed. */
export async function blockUntil(db: Kysely<Database>, clientId: string, until: Date, reason: string, now = new Date()): Promise<void> {
  await db
    .insertInto("spotify_rate_state")
    .values({ client_id: clientId, tokens: 0, refilled_at: now, blocked_until: until, blocked_reason: reason })
    .onConflict((oc) =>
      oc.column("client_id").doUpdateSet({
        // Never shorten a longer block another worker already set.
        blocked_until: sql`greatest(spotify_rate_state.blocked_until, excluded.blocked_until)`,
        blocked_reason: sql`case when spotify_rate_state.blocked_until > excluded.blocked_until then spotify_rate_state.blocked_reason else excluded.blocked_reason end`,
        tokens: 0,
        refilled_at: now,
        updated_at: now,
      }),
    )
    .execute();
}

/** The blocked reason of a Spotify outage (5xx, 408, timeouts, resets, broken bodies). */
export const SERVER_ERROR = "SERVER_ERROR";

/** How long the app waits after a Spotify outage's failed tries: the first wait, doubling up to the cap. */
export interface OutageBackoff {
  firstMs: number;
  maxMs: number;
}

/**
 * 1, 2, 4, 8, then 15 minutes at most: a blip costs a minute, and an outage of hours costs four
 * tries (one call each) an hour, not hundreds of calls from the daily quota.
 */
export const DEFAULT_OUTAGE_BACKOFF: OutageBackoff = { firstMs: 60_000, maxMs: 15 * 60_000 };

/** The wait after the `strike`-th failed try in a row (1-based). */
export function outageWaitMs(strike: number, backoff: OutageBackoff = DEFAULT_OUTAGE_BACKOFF): number {
  return Math.min(backoff.maxMs, backoff.firstMs * 2 ** Math.max(0, strike - 1));
}

/**
 * Spotify failed a call and its retries: every worker of the app waits, longer with each failed try
 * in a row. A failure that lands while this outage's block still holds (another worker's call in
 * flight at the same time) is the same strike; a longer block (a quota) is never shortened.
 * Returns when calls may be tried again and since when Spotify has been failing.
 */
export async function blockForOutage(
  db: Kysely<Database>,
  clientId: string,
  backoff: OutageBackoff = DEFAULT_OUTAGE_BACKOFF,
  now = new Date(),
): Promise<{ until: Date; since: Date; strikes: number }> {
  return db.transaction().execute(async (tx) => {
    await tx
      .insertInto("spotify_rate_state")
      .values({ client_id: clientId, tokens: 0, refilled_at: now })
      .onConflict((oc) => oc.column("client_id").doNothing())
      .execute();
    const state = await tx.selectFrom("spotify_rate_state").selectAll().where("client_id", "=", clientId).forUpdate().executeTakeFirstOrThrow();
    const since = state.unavailable_since ?? now;
    const holding = state.blocked_until !== null && state.blocked_until > now;
    if (holding && state.blocked_reason === SERVER_ERROR) return { until: state.blocked_until!, since, strikes: state.unavailable_strikes };
    const strikes = state.unavailable_strikes + 1;
    const wait = new Date(now.getTime() + outageWaitMs(strikes, backoff));
    const longer = holding && state.blocked_until! > wait;
    const until = longer ? state.blocked_until! : wait;
    await tx
      .updateTable("spotify_rate_state")
      .set({ blocked_until: until, blocked_reason: longer ? state.blocked_reason : SERVER_ERROR, unavailable_since: since, unavailable_strikes: strikes, updated_at: now })
      .where("client_id", "=", clientId)
      .execute();
    return { until, since, strikes };
  });
}

/** Spotify answered (anything but a server fault): the outage is over, the next one starts at one minute. */
export async function endOutage(db: Kysely<Database>, clientId: string): Promise<void> {
  await db
    .updateTable("spotify_rate_state")
    .set({ unavailable_since: null, unavailable_strikes: 0 })
    .where("client_id", "=", clientId)
    .where("unavailable_since", "is not", null)
    .execute();
}

export interface RateState {
  blockedUntil: Date | null;
  blockedReason: string | null;
  /** Spotify has been failing since then (cleared by its first good answer). */
  unavailableSince: Date | null;
  usedToday: number;
  batchEndpoints: "unknown" | "available" | "unavailable";
  /** The daily budget learned from Spotify's QUOTA_EXCEEDED answers; null until one is learned. */
  learnedDailyBudget: number | null;
  /** The calls the rolling day held at the last QUOTA_EXCEEDED, and when. */
  lastQuotaHit: { calls: number; at: Date } | null;
}

export async function rateState(db: Kysely<Database>, clientId: string, now = new Date()): Promise<RateState> {
  const [state, day] = await Promise.all([
    db.selectFrom("spotify_rate_state").selectAll().where("client_id", "=", clientId).executeTakeFirst(),
    db
      .selectFrom("spotify_call_counts")
      .select([sql<string>`coalesce(sum(calls), 0)`.as("used")])
      .where("client_id", "=", clientId)
      .where("minute", ">", new Date(now.getTime() - DAY_MS))
      .executeTakeFirstOrThrow(),
  ]);
  return {
    blockedUntil: state?.blocked_until && state.blocked_until > now ? state.blocked_until : null,
    blockedReason: state?.blocked_until && state.blocked_until > now ? state.blocked_reason : null,
    unavailableSince: state?.unavailable_since ?? null,
    usedToday: Number(day.used),
    batchEndpoints: state?.batch_endpoints ?? "unknown",
    learnedDailyBudget: state?.learned_daily_budget ?? null,
    lastQuotaHit: state?.quota_hit_at && state.quota_hit_calls !== null ? { calls: state.quota_hit_calls, at: state.quota_hit_at } : null,
  };
}

export async function rememberBatchEndpoints(db: Kysely<Database>, clientId: string, value: "available" | "unavailable"): Promise<void> {
  await db
    .insertInto("spotify_rate_state")
    .values({ client_id: clientId, tokens: 0, batch_endpoints: value })
    .onConflict((oc) => oc.column("client_id").doUpdateSet({ batch_endpoints: value, updated_at: new Date() }))
    .execute();
}

/** Old per-minute counts serve no one once they leave the 24-hour window. */
export async function pruneCallCounts(db: Kysely<Database>, now = new Date()): Promise<void> {
  await db.deleteFrom("spotify_call_counts").where("minute", "<", new Date(now.getTime() - 2 * DAY_MS)).execute();
}
