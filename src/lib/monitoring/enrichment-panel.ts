import { sql, type Kysely } from "kysely";
import type { Config } from "../config/env";
import type { Database, EnrichmentRun } from "../db/schema";
import { artistsToFetch } from "../enrichment/artists";
import { enrichJobKey } from "../enrichment/triggers";
import { dailyBudget, rateBudgetOptions, rateState, SERVER_ERROR, type RateBudgetOptions, type RateState } from "../spotify/rate-budget";
import { timeLeft, type Connection, type TimeLeftInput } from "./live-state";

export type PanelState = "running" | "queued" | "rate_limited" | "quota" | "unavailable" | "idle" | "done" | "needs_reconnect" | "not_connected";

export interface PanelRun {
  id: string;
  trigger: string;
  status: string;
  startedAt: string;
  finishedAt: string | null;
  itemsAttempted: number;
  itemsMatched: number;
  itemsNotFound: number;
  itemsFailed: number;
  listensUpdated: number;
  apiCalls: number;
  error: string | null;
}

export interface EnrichmentPanel {
  listens: { total: number; tracks: number; enriched: number; pending: number; notFound: number; failed: number; notApplicable: number };
  /** Enriched share of the track listens that can be enriched, 0–100. */
  percent: number;
  backlog: { uniqueTracks: number; needingCalls: number; computedAt: string | null };
  /** The time left, worded on the server in UTC; the page words it again from `timeLeft` in the reader's zone. */
  eta: { calls: number; seconds: number; text: string; resumesAt: string | null } | null;
  /** The facts the time left is worked out from (see live-state.ts). */
  timeLeft: TimeLeftInput;
  /**
   * The state in words. `text` has no clock time in it: when `until` is set, the page ends the
   * sentence with it in the reader's zone ("… in 20 s.", "… at 14:05.").
   */
  state: { code: PanelState; text: string; until: string | null };
  /** Work besides listens: artist pages; and whether a job or run is on. */
  work: { artists: boolean; queued: boolean; running: boolean };
  budget: { perMinute: number; perDay: number; usedToday: number };
  runs: PanelRun[];
}

const num = (v: unknown) => Number(v ?? 0);

/** The UTC clock the server words its fallback text in; the dashboard redoes it in the reader's zone. */
const SERVER_CLOCK = () => ({ now: new Date(), timeZone: "UTC" });

/**
 * What a person's enrichment still has to do, beyond pending listens: their job waiting or taken in
 * the queue, a run going, artist pages not yet fetched. "Done" only when all of it is none. (Track
 * details — ISRCs of album-fetched tracks — are fetched only when asked for, so they are not work
 * that keeps a person from "done".)
 */
export async function workLeft(db: Kysely<Database>, userId: string) {
  const [job, running, artists, pending] = await Promise.all([
    sql<{ run_at: Date; locked_at: Date | null }>`select run_at, locked_at from graphile_worker._private_jobs where key = ${enrichJobKey(userId)}`.execute(db),
    db
      .selectFrom("enrichment_runs")
      .select(["id"])
      .where("user_id", "=", userId)
      .where("status", "=", "running")
      .where("started_at", ">", new Date(Date.now() - 30 * 60_000))
      .executeTakeFirst(),
    artistsToFetch(db, userId, 1),
    db
      .selectFrom("listen_counts")
      .select(sql<string>`coalesce(sum(listens), 0)`.as("n"))
      .where("user_id", "=", userId)
      .where("kind", "=", "track")
      .where("status", "=", "pending")
      .executeTakeFirst(),
  ]);
  const queued = job.rows[0] ?? null;
  return {
    queued,
    running: Boolean(running) || Boolean(queued?.locked_at),
    artists: artists.length > 0,
    pendingListens: num(pending?.n),
  };
}

/** The daily budget in force: the one learned from Spotify's QUOTA_EXCEEDED answers, under any cap. */
const perDayInForce = (budget: RateBudgetOptions, rate: RateState) => dailyBudget(budget, { learned_daily_budget: rate.learnedDailyBudget });

/**
 * When the next call may go, if a limit holds calls back now: a 429's or an outage's
 * `blockedUntil`, or the moment the spent daily budget frees. Null when calls may go.
 */
export async function callsHeldUntil(db: Kysely<Database>, config: Config): Promise<Date | null> {
  const budget = rateBudgetOptions(config);
  const rate = await rateState(db, budget.clientId);
  if (rate.blockedUntil) return rate.blockedUntil;
  return budgetFreesAt(db, budget.clientId, rate.usedToday, perDayInForce(budget, rate));
}

/** True when "Enrich now" has something to do: listens or artist pages left. */
export async function hasWorkToDo(db: Kysely<Database>, userId: string): Promise<boolean> {
  const w = await workLeft(db, userId);
  return w.pendingListens > 0 || w.artists;
}

/**
 * When the daily budget frees enough for one more call: the oldest counted minutes leave the
 * 24-hour window (the rule acquireCall waits by). Null when the budget is not spent.
 */
export async function budgetFreesAt(db: Kysely<Database>, clientId: string, usedToday: number, perDay: number): Promise<Date | null> {
  if (usedToday < perDay) return null;
  const excess = usedToday - perDay + 1;
  const { rows } = await sql<{ minute: Date }>`
    select minute from (
      select minute, sum(calls) over (order by minute) as cum
        from spotify_call_counts where client_id = ${clientId} and minute > now() - interval '24 hours') x
     where cum >= ${excess} order by minute limit 1`.execute(db);
  return rows[0] ? new Date(rows[0].minute.getTime() + 86_400_000 + 60_000) : null;
}

/**
 * Everything the enrichment panel (and GET /api/spotify/enrich) shows for one person. Every part is
 * an indexed lookup or a small table: counts come from `listen_counts`, the backlog from
 * `enrichment_backlog`, so this stays fast with millions of listens.
 */
export async function enrichmentPanel(db: Kysely<Database>, config: Config, userId: string): Promise<EnrichmentPanel> {
  const budget = rateBudgetOptions(config);
  const [counts, backlog, token, rate, work, runs, perItem] = await Promise.all([
    db.selectFrom("listen_counts").select(["kind", "status", "listens"]).where("user_id", "=", userId).execute(),
    db.selectFrom("enrichment_backlog").selectAll().where("user_id", "=", userId).executeTakeFirst(),
    db.selectFrom("spotify_tokens").select(["state"]).where("user_id", "=", userId).executeTakeFirst(),
    rateState(db, budget.clientId),
    workLeft(db, userId),
    db.selectFrom("enrichment_runs").selectAll().where("user_id", "=", userId).orderBy("id", "desc").limit(5).execute(),
    sql<{ calls: string | null; items: string | null }>`
      select sum((select coalesce(sum(value::bigint), 0) from jsonb_each_text(api_calls))) as calls, sum(items_attempted) as items
        from (select api_calls, items_attempted from enrichment_runs where items_attempted > 0 order by id desc limit 20) r`.execute(db),
  ]);
  const perDay = perDayInForce(budget, rate);
  const freesAt = await budgetFreesAt(db, budget.clientId, rate.usedToday, perDay);

  const listens = { total: 0, tracks: 0, enriched: 0, pending: 0, notFound: 0, failed: 0, notApplicable: 0 };
  for (const c of counts) {
    const n = num(c.listens);
    listens.total += n;
    if (c.kind === "track") listens.tracks += n;
    if (c.status === "enriched") listens.enriched += n;
    else if (c.status === "pending" && c.kind === "track") listens.pending += n;
    else if (c.status === "not_found") listens.notFound += n;
    else if (c.status === "failed") listens.failed += n;
    else listens.notApplicable += n;
  }
  const enrichable = listens.enriched + listens.pending + listens.notFound + listens.failed;
  const percent = enrichable === 0 ? 0 : Math.floor((listens.enriched / enrichable) * 1000) / 10;

  // The backlog is recounted after each run; with nothing pending it is zero whatever it last said.
  const needingCalls = listens.pending === 0 ? 0 : (backlog?.call_items ?? 0);
  const callsPerItem = num(perItem.rows[0]?.items) > 0 ? num(perItem.rows[0]?.calls) / num(perItem.rows[0]?.items) : 1;
  const calls = Math.ceil(needingCalls * Math.min(callsPerItem, 2));
  const connection: Connection = !token ? "not_connected" : token.state !== "valid" ? "needs_reconnect" : "valid";
  const left: TimeLeftInput = {
    connection,
    calls: listens.pending > 0 ? calls : 0,
    perMinute: budget.perMinute,
    perDay,
    usedToday: rate.usedToday,
    budgetFreesAt: freesAt?.toISOString() ?? null,
    blockedUntil: rate.blockedUntil?.toISOString() ?? null,
    blockedReason: rate.blockedReason,
  };
  const estimate = backlog && listens.pending > 0 ? timeLeft(left, SERVER_CLOCK()) : null;
  const eta = estimate ? { calls, ...estimate } : null;

  const queued = work.queued;
  const anyWork = listens.pending > 0 || work.artists || queued !== null || work.running;
  let state: EnrichmentPanel["state"];
  if (connection === "not_connected") state = { code: "not_connected", text: "Not connected to Spotify: connect it to enrich your listens.", until: null };
  else if (connection === "needs_reconnect") state = { code: "needs_reconnect", text: "Needs reconnect: Spotify no longer accepts this connection. Reconnect Spotify to resume.", until: null };
  else if (!anyWork) state = { code: "done", text: listens.tracks > 0 ? "Everything that can be enriched is." : "Nothing to enrich yet: upload your Spotify data.", until: null };
  else if (rate.blockedUntil && rate.blockedReason === "QUOTA_EXCEEDED")
    state = { code: "quota", text: "Paused: Spotify's daily quota is reached; enrichment resumes", until: rate.blockedUntil.toISOString() };
  else if (rate.blockedUntil && rate.blockedReason === SERVER_ERROR)
    state = { code: "unavailable", text: "Spotify is having trouble; enrichment tries again", until: rate.blockedUntil.toISOString() };
  else if (rate.blockedUntil) state = { code: "rate_limited", text: "Waiting for Spotify's rate limit; next calls", until: rate.blockedUntil.toISOString() };
  else if (rate.usedToday >= perDay)
    state = { code: "quota", text: `Paused: today's budget of ${perDay.toLocaleString("en-US")} calls is spent; next calls`, until: freesAt?.toISOString() ?? null };
  else if (work.running) state = { code: "running", text: listens.pending > 0 ? "Running: fetching your tracks from Spotify now." : "Running: fetching artist pages and track details now.", until: null };
  else if (queued && queued.run_at > new Date()) state = { code: "queued", text: "Scheduled to go on", until: queued.run_at.toISOString() };
  else if (queued) state = { code: "queued", text: "Queued: a worker will start in a moment.", until: null };
  else if (listens.pending > 0) state = { code: "idle", text: "Idle: your listens wait for the next scheduled run, or press Enrich now.", until: null };
  else state = { code: "idle", text: `Idle: ${work.artists ? "artist pages" : "track details"} are left to fetch; press Enrich now to fetch them.`, until: null };

  return {
    listens,
    percent,
    backlog: { uniqueTracks: listens.pending === 0 ? 0 : (backlog?.pending_items ?? 0), needingCalls, computedAt: backlog?.computed_at.toISOString() ?? null },
    eta,
    timeLeft: left,
    state,
    work: { artists: work.artists, queued: queued !== null, running: work.running },
    budget: { perMinute: budget.perMinute, perDay, usedToday: rate.usedToday },
    runs: runs.map(toPanelRun),
  };
}

export function toPanelRun(r: EnrichmentRun): PanelRun {
  return {
    id: String(r.id),
    trigger: r.trigger,
    status: r.status,
    startedAt: r.started_at.toISOString(),
    finishedAt: r.finished_at?.toISOString() ?? null,
    itemsAttempted: r.items_attempted,
    itemsMatched: r.items_matched,
    itemsNotFound: r.items_not_found,
    itemsFailed: r.items_failed,
    listensUpdated: r.listens_updated + r.listens_from_catalogue,
    apiCalls: Object.values(r.api_calls ?? {}).reduce((a, b) => a + b, 0),
    error: r.error,
  };
}

/** A person's run log, newest first, a page at a time (`before`: the last run id of the page before). */
export async function runLog(db: Kysely<Database>, userId: string, page: { limit: number; before?: string | null }): Promise<{ runs: PanelRun[]; next: string | null }> {
  let q = db.selectFrom("enrichment_runs").selectAll().where("user_id", "=", userId).orderBy("id", "desc").limit(page.limit);
  if (page.before) q = q.where("id", "<", page.before);
  const runs = (await q.execute()).map(toPanelRun);
  return { runs, next: runs.length === page.limit ? runs.at(-1)!.id : null };
}
