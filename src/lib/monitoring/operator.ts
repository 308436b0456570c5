import { sql, type Kysely } from "kysely";
import type { Config } from "../config/env";
import type { Database } from "../db/schema";
import { dailyBudget, rateBudgetOptions, rateState, type RateState } from "../spotify/rate-budget";
import { toPanelRun, type PanelRun } from "./enrichment-panel";

export interface OperatorView {
  users: Array<{ spotifyId: string; displayName: string | null; connection: string; listens: number; pending: number; uniqueLeft: number; needingCalls: number; lastRun: string | null; lastStatus: string | null }>;
  queue: Array<{ task: string; ready: number; scheduled: number; running: number }>;
  runs: Array<PanelRun & { spotifyId: string | null }>;
  /** `perDay`: the daily budget in force (learned, or configured); `dailyCap`: an explicit SPOTIFY_DAILY_BUDGET. */
  rate: RateState & { perMinute: number; perDay: number; dailyCap: number | null };
}

/** The install at a glance, for its operators: every backlog, the queue, the run log, the limits. */
export async function operatorView(db: Kysely<Database>, config: Config): Promise<OperatorView> {
  const budget = rateBudgetOptions(config);
  const [users, queue, runs, rate] = await Promise.all([
    sql<{ spotify_id: string; display_name: string | null; state: string | null; listens: string | null; pending: string | null; pending_items: number | null; call_items: number | null; last_run: Date | null; last_status: string | null }>`
      select u.spotify_id, u.display_name, st.state,
             (select sum(c.listens) from listen_counts c where c.user_id = u.id) as listens,
             (select sum(c.listens) from listen_counts c where c.user_id = u.id and c.kind = 'track' and c.status = 'pending') as pending,
             b.pending_items, b.call_items, r.started_at as last_run, r.status as last_status
        from users u
        left join spotify_tokens st on st.user_id = u.id
        left join enrichment_backlog b on b.user_id = u.id
        left join lateral (select started_at, status from enrichment_runs where user_id = u.id order by id desc limit 1) r on true
       order by b.call_items desc nulls last, u.id`.execute(db),
    sql<{ task: string; ready: string; scheduled: string; running: string }>`
      select t.identifier as task,
             count(*) filter (where j.locked_at is null and j.run_at <= now()) as ready,
             count(*) filter (where j.locked_at is null and j.run_at > now()) as scheduled,
             count(*) filter (where j.locked_at is not null) as running
        from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
       group by 1 order by 1`.execute(db),
    db
      .selectFrom("enrichment_runs as r")
      .leftJoin("users as u", "u.id", "r.user_id")
      .selectAll("r")
      .select("u.spotify_id")
      .orderBy("r.id", "desc")
      .limit(50)
      .execute(),
    rateState(db, budget.clientId),
  ]);
  return {
    users: users.rows.map((u) => ({
      spotifyId: u.spotify_id,
      displayName: u.display_name,
      connection: u.state ?? "none",
      listens: Number(u.listens ?? 0),
      pending: Number(u.pending ?? 0),
      uniqueLeft: u.pending_items ?? 0,
      needingCalls: u.call_items ?? 0,
      lastRun: u.last_run?.toISOString() ?? null,
      lastStatus: u.last_status,
    })),
    queue: queue.rows.map((q) => ({ task: q.task, ready: Number(q.ready), scheduled: Number(q.scheduled), running: Number(q.running) })),
    runs: runs.map((r) => ({ ...toPanelRun(r), spotifyId: r.spotify_id })),
    rate: { ...rate, perMinute: budget.perMinute, perDay: dailyBudget(budget, { learned_daily_budget: rate.learnedDailyBudget }), dailyCap: budget.dailyCap ?? null },
  };
}
