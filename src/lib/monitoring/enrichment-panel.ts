import { sql, type Kysely } from "kysely";
import type { Config } from "../config/env";
import type { Database, EnrichmentRun } from "../db/schema";
import { enrichJobKey } from "../enrichment/triggers";
import { rateBudgetOptions, rateState, SERVER_ERROR } from "../spotify/rate-budget";

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
  eta: { calls: number; seconds: number; text: string } | null;
  state: { code: PanelState; text: string; until: string | null };
  budget: { perMinute: number; perDay: number; usedToday: number };
  runs: PanelRun[];
}

const num = (v: unknown) => Number(v ?? 0);

function clock(d: Date): string {
  return d.toISOString().slice(11, 16) + " UTC";
}

function when(d: Date): string {
  const sameDay = d.toISOString().slice(0, 10) === new Date().toISOString().slice(0, 10);
  return sameDay ? clock(d) : `${d.toISOString().slice(0, 10)} ${clock(d)}`;
}

/** "about 3 days at 1,000 calls a day", from the calls left and the budget. */
export function etaText(calls: number, perMinute: number, perDay: number): { seconds: number; text: string } {
  if (calls <= 0) return { seconds: 0, text: "nothing left to fetch" };
  // Each day's budget goes at the steady rate; between them, waits of a day for the window to roll.
  const fullDays = Math.ceil(calls / perDay) - 1;
  const seconds = fullDays * 86_400 + ((calls - fullDays * perDay) / perMinute) * 60;
  const perDayText = `${perDay.toLocaleString("en-US")} calls a day`;
  if (seconds < 90) return { seconds, text: `about a minute at ${perMinute} calls a minute` };
  if (seconds < 3600) return { seconds, text: `about ${Math.round(seconds / 60)} minutes at ${perMinute} calls a minute` };
  if (seconds < 86_400) return { seconds, text: `about ${Math.round(seconds / 3600)} hours at ${perDayText}` };
  const d = Math.round(seconds / 86_400);
  return { seconds, text: `about ${d} day${d === 1 ? "" : "s"} at ${perDayText}` };
}

/**
 * Everything the enrichment panel (and GET /api/spotify/enrich) shows for one person. Every part is
 * an indexed lookup or a small table: counts come from `listen_counts`, the backlog from
 * `enrichment_backlog`, so this stays fast with millions of listens.
 */
export async function enrichmentPanel(db: Kysely<Database>, config: Config, userId: string): Promise<EnrichmentPanel> {
  const budget = rateBudgetOptions(config);
  const [counts, backlog, token, rate, running, job, runs, perItem] = await Promise.all([
    db.selectFrom("listen_counts").select(["kind", "status", "listens"]).where("user_id", "=", userId).execute(),
    db.selectFrom("enrichment_backlog").selectAll().where("user_id", "=", userId).executeTakeFirst(),
    db.selectFrom("spotify_tokens").select(["state"]).where("user_id", "=", userId).executeTakeFirst(),
    rateState(db, budget.clientId),
    db
      .selectFrom("enrichment_runs")
      .select(["id"])
      .where("user_id", "=", userId)
      .where("status", "=", "running")
      .where("started_at", ">", new Date(Date.now() - 30 * 60_000))
      .executeTakeFirst(),
    sql<{ run_at: Date; locked_at: Date | null }>`select run_at, locked_at from graphile_worker._private_jobs where key = ${enrichJobKey(userId)}`.execute(db),
    db.selectFrom("enrichment_runs").selectAll().where("user_id", "=", userId).orderBy("id", "desc").limit(5).execute(),
    sql<{ calls: string | null; items: string | null }>`
      select sum((select coalesce(sum(value::bigint), 0) from jsonb_each_text(api_calls))) as calls, sum(items_attempted) as items
        from (select api_calls, items_attempted from enrichment_runs where items_attempted > 0 order by id desc limit 20) r`.execute(db),
  ]);

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
  const eta = backlog && listens.pending > 0 ? { calls, ...etaText(calls, budget.perMinute, budget.perDay) } : null;

  const queued = job.rows[0];
  let state: EnrichmentPanel["state"];
  if (!token) state = { code: "not_connected", text: "Not connected to Spotify: connect it to enrich your listens.", until: null };
  else if (token.state !== "valid") state = { code: "needs_reconnect", text: "Needs reconnect: Spotify no longer accepts this connection. Reconnect Spotify to resume.", until: null };
  else if (listens.pending === 0) state = { code: "done", text: listens.tracks > 0 ? "Everything that can be enriched is." : "Nothing to enrich yet: upload your Spotify data.", until: null };
  else if (rate.blockedUntil && rate.blockedReason === "QUOTA_EXCEEDED")
    state = { code: "quota", text: `Spotify's daily quota is reached; enrichment resumes at ${when(rate.blockedUntil)}.`, until: rate.blockedUntil.toISOString() };
  else if (rate.blockedUntil && rate.blockedReason === SERVER_ERROR)
    state = {
      code: "unavailable",
      text: `Spotify is having trouble${rate.unavailableSince ? ` (since ${when(rate.unavailableSince)})` : ""}; enrichment tries again at ${when(rate.blockedUntil)}.`,
      until: rate.blockedUntil.toISOString(),
    };
  else if (rate.blockedUntil) state = { code: "rate_limited", text: `Waiting for Spotify's rate limit until ${when(rate.blockedUntil)}.`, until: rate.blockedUntil.toISOString() };
  else if (rate.usedToday >= budget.perDay) state = { code: "quota", text: `Today's budget of ${budget.perDay.toLocaleString("en-US")} calls is spent; enrichment goes on as it frees up.`, until: null };
  else if (running || queued?.locked_at) state = { code: "running", text: "Running: fetching from Spotify now.", until: null };
  else if (queued && queued.run_at > new Date()) state = { code: "queued", text: `Scheduled to go on at ${when(queued.run_at)}.`, until: queued.run_at.toISOString() };
  else if (queued) state = { code: "queued", text: "Queued: a worker will start in a moment.", until: null };
  else state = { code: "idle", text: "Idle: the next scheduled run will go on, or press Enrich now.", until: null };

  return {
    listens,
    percent,
    backlog: { uniqueTracks: listens.pending === 0 ? 0 : (backlog?.pending_items ?? 0), needingCalls, computedAt: backlog?.computed_at.toISOString() ?? null },
    eta,
    state,
    budget: { perMinute: budget.perMinute, perDay: budget.perDay, usedToday: rate.usedToday },
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
