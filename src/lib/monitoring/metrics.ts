import { sql, type Kysely } from "kysely";
import { Gauge, Registry } from "prom-client";
import type { Config } from "../config/env";
import type { Database } from "../db/schema";
import { dailyBudget, rateBudgetOptions, rateState } from "../spotify/rate-budget";

/**
 * Prometheus text for GET /api/metrics, read from the database at scrape time (so any number of
 * web instances report the same numbers). Totals are exposed as gauges of running sums.
 */
export async function renderMetrics(db: Kysely<Database>, config: Config): Promise<{ body: string; contentType: string }> {
  const registry = new Registry();
  const gauge = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name, help, labelNames, registers: [registry] });
  const budget = rateBudgetOptions(config);
  const [listens, backlog, oldest, runs, calls, statuses, limited, queue, workers, rate] = await Promise.all([
    sql<{ kind: string; status: string; n: string }>`select kind, status, sum(listens) as n from listen_counts group by 1, 2`.execute(db),
    sql<{ items: string | null; calls: string | null }>`select sum(pending_items) as items, sum(call_items) as calls from enrichment_backlog`.execute(db),
    sql<{ age: number | null }>`select extract(epoch from now() - min(created_at))::float8 as age from listens where enrichment_status = 'pending' and kind = 'track'`.execute(db),
    sql<{ trigger: string; status: string; n: string }>`select trigger, status, count(*) as n from enrichment_runs group by 1, 2`.execute(db),
    sql<{ endpoint: string; n: string }>`select e.key as endpoint, sum(e.value::bigint) as n from enrichment_runs r, jsonb_each_text(r.api_calls) e group by 1`.execute(db),
    sql<{ k: string; n: string }>`select e.key as k, sum(e.value::bigint) as n from enrichment_runs r, jsonb_each_text(r.api_statuses) e group by 1`.execute(db),
    sql<{ reason: string; n: string }>`select e.key as reason, sum(e.value::bigint) as n from enrichment_runs r, jsonb_each_text(r.rate_limited) e group by 1`.execute(db),
    sql<{ task: string; state: string; n: string }>`
      select t.identifier as task, case when j.locked_at is not null then 'running' when j.run_at > now() then 'scheduled' else 'ready' end as state, count(*) as n
        from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id group by 1, 2`.execute(db),
    sql<{ n: string }>`select count(*) as n from worker_heartbeats where last_seen_at > now() - make_interval(secs => ${config.WORKER_ALIVE_WITHIN_SECONDS})`.execute(db),
    rateState(db, budget.clientId),
  ]);
  const g1 = gauge("liner_listens", "Listens by kind and enrichment status.", ["kind", "status"]);
  for (const r of listens.rows) g1.set({ kind: r.kind, status: r.status }, Number(r.n));
  gauge("liner_backlog_unique_tracks", "Unique tracks waiting for enrichment.").set(Number(backlog.rows[0]?.items ?? 0));
  gauge("liner_backlog_tracks_needing_calls", "Of those, tracks that will cost a Spotify call.").set(Number(backlog.rows[0]?.calls ?? 0));
  gauge("liner_oldest_pending_listen_age_seconds", "Age of the oldest listen waiting for enrichment (0 when none).").set(oldest.rows[0]?.age ?? 0);
  const g2 = gauge("liner_enrichment_runs_total", "Enrichment runs by trigger and status.", ["trigger", "status"]);
  for (const r of runs.rows) g2.set({ trigger: r.trigger, status: r.status }, Number(r.n));
  const g3 = gauge("liner_spotify_calls_total", "Spotify Web API calls by endpoint.", ["endpoint"]);
  for (const r of calls.rows) g3.set({ endpoint: r.endpoint }, Number(r.n));
  const g4 = gauge("liner_spotify_responses_total", "Spotify Web API answers by endpoint and status.", ["endpoint", "status"]);
  for (const r of statuses.rows) {
    const i = r.k.lastIndexOf(" ");
    g4.set({ endpoint: r.k.slice(0, i), status: r.k.slice(i + 1) }, Number(r.n));
  }
  const g5 = gauge("liner_spotify_429_total", "Spotify 429 answers by reason (window or quota).", ["reason"]);
  for (const reason of ["window", "quota"]) g5.set({ reason }, Number(limited.rows.find((r) => r.reason === reason)?.n ?? 0));
  gauge("liner_spotify_quota_used", "Calls spent in the last 24 hours.").set(rate.usedToday);
  const perDay = dailyBudget(budget, { learned_daily_budget: rate.learnedDailyBudget });
  gauge("liner_spotify_daily_budget", "The daily budget in force: learned from Spotify's QUOTA_EXCEEDED answers, never above an explicit SPOTIFY_DAILY_BUDGET.").set(perDay);
  gauge("liner_spotify_daily_budget_learned", "1 when the daily budget was learned from Spotify, 0 while the configured figure holds.").set(rate.learnedDailyBudget === null ? 0 : 1);
  gauge("liner_spotify_quota_left", "Calls left of the daily budget.").set(Math.max(0, perDay - rate.usedToday));
  gauge("liner_spotify_blocked", "1 while a 429 holds every worker back.").set(rate.blockedUntil ? 1 : 0);
  const g6 = gauge("liner_queue_jobs", "Jobs in the queue by task and state.", ["task", "state"]);
  for (const r of queue.rows) g6.set({ task: r.task, state: r.state }, Number(r.n));
  gauge("liner_workers_alive", "Worker processes with a recent heartbeat.").set(Number(workers.rows[0]?.n ?? 0));
  return { body: await registry.metrics(), contentType: registry.contentType };
}
