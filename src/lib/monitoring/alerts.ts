import type pg from "pg";
import type { Config } from "../config/env";
import { checkHealth, healthOptions, type HealthReport } from "./health";

export interface AlertResult {
  status: HealthReport["status"];
  /** "warning" or "recovered" when this check changed the state and sent (or tried to send) an alert. */
  sent: "warning" | "recovered" | null;
  error: string | null;
}

function payload(report: HealthReport, appUrl: string) {
  const failing = report.checks.filter((c) => !c.ok);
  const title = report.status === "warning" ? "Liner: health warning" : "Liner: recovered";
  const lines = report.status === "warning" ? failing.map((c) => `• ${c.name}: ${c.message}`) : ["All checks pass again."];
  const text = `${title}\n${lines.join("\n")}\n${appUrl}/api/health`;
  // `text` for Slack-style webhooks, `title`/`message` for ntfy and most others.
  return { text, title, message: lines.join("\n"), status: report.status, checks: report.checks, checkedAt: report.checkedAt };
}

/**
 * Checks health and, when it changed since the last check, POSTs one alert to ALERT_WEBHOOK_URL:
 * once when it turns to warning, once when it recovers. The state lives in the database and changes
 * atomically, so several processes checking at once send one alert, not several.
 */
export async function checkAlerts(pool: pg.Pool, config: Config, send: typeof fetch = fetch): Promise<AlertResult> {
  const report = await checkHealth(pool, healthOptions(config));
  // Without a database there is no shared state to change: nothing is sent from here.
  if (!report.database.ok) return { status: report.status, sent: null, error: null };
  const { rows } = await pool.query<{ previous: string | null }>(
    `with prev as (select value->>'status' as status from app_state where key = 'alert_state')
     insert into app_state (key, value, updated_at) values ('alert_state', jsonb_build_object('status', $1::text), now())
     on conflict (key) do update set value = excluded.value, updated_at = now()
       where app_state.value->>'status' is distinct from $1::text
     returning (select status from prev) as previous`,
    [report.status],
  );
  const changed = rows.length > 0;
  const previous = rows[0]?.previous ?? "ok";
  // First check ever: only a warning is news.
  if (!changed || (previous === "ok" && report.status === "ok")) return { status: report.status, sent: null, error: null };
  const kind = report.status === "warning" ? "warning" : "recovered";
  if (!config.ALERT_WEBHOOK_URL) return { status: report.status, sent: null, error: null };
  try {
    const res = await send(config.ALERT_WEBHOOK_URL, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(payload(report, config.appUrl)),
      signal: AbortSignal.timeout(10_000),
    });
    return { status: report.status, sent: kind, error: res.ok ? null : `the webhook answered ${res.status}` };
  } catch (err) {
    return { status: report.status, sent: kind, error: `the webhook could not be reached (${(err as Error).message})` };
  }
}
