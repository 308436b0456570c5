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
  /** Calls allowed in any rolling 24 hours (Spotify's development-mode quota is unpublished). */
  perDay: number;
}

/** The budget of the app the configuration names (its client id keys the shared state). */
export function rateBudgetOptions(config: Config): RateBudgetOptions {
  return {
    clientId: config.SPOTIFY_CLIENT_ID ?? "unconfigured",
    perMinute: config.SPOTIFY_CALLS_PER_MINUTE,
    burst: config.SPOTIFY_CALL_BURST,
    perDay: config.SPOTIFY_DAILY_BUDGET,
  };
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
export async function acquireCall(db: Kysely<Database>, opts: RateBudgetOptions, now = new Date()): Promise<Acquired> {
  return db.transaction().execute(async (tx) => {
    await tx
      .insertInto("spotify_rate_state")
      .values({ client_id: opts.clientId, tokens: opts.burst, refilled_at: now })
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
    if (Number(day.used) >= opts.perDay) {
      // The budget frees as the oldest counted minutes leave the 24-hour window.
      const excess = Number(day.used) - opts.perDay + 1;
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
      return { ok: false, waitMs: until.getTime() - now.getTime(), reason: "daily_budget", until, detail: `${day.used} calls in the last 24 hours` };
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
