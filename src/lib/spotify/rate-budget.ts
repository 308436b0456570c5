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
  | { ok: true }
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
    return { ok: true };
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

export interface RateState {
  blockedUntil: Date | null;
  blockedReason: string | null;
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
