import type { Metadata } from "next";
import { notFound, redirect } from "next/navigation";
import { RunsTable } from "@/components/dashboard/runs-table";
import { pageUser } from "@/lib/auth/page-user";
import { appDb } from "@/lib/db/app-db";
import { isAdmin } from "@/lib/auth/admins";
import { operatorView } from "@/lib/monitoring/operator";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Operator" };

export default async function Admin() {
  const user = await pageUser();
  if (!user) redirect("/");
  if (!(await isAdmin(user))) notFound();
  const { db, config } = appDb();
  const v = await operatorView(db, config);
  const n = (x: number) => x.toLocaleString("en-US");
  return (
    <main>
      <h1>Operator</h1>
      <section className="panel">
        <h2>Spotify limits</h2>
        <dl className="facts" data-testid="rate">
          <dt>Calls in the last 24 h</dt>
          <dd>
            {n(v.rate.usedToday)} of {n(v.rate.perDay)}
          </dd>
          <dt>Daily budget</dt>
          <dd data-testid="daily-budget">
            {v.rate.learnedDailyBudget === null ? `${n(v.rate.perDay)} (configured; not learned yet)` : `${n(v.rate.perDay)} (learned from Spotify's quota)`}
            {v.rate.lastQuotaHit ? `; last QUOTA_EXCEEDED at ${n(v.rate.lastQuotaHit.calls)} calls, ${v.rate.lastQuotaHit.at.toISOString()}` : ""}
            {v.rate.dailyCap ? `; capped at ${n(v.rate.dailyCap)} by SPOTIFY_DAILY_BUDGET` : ""}
          </dd>
          <dt>Rate</dt>
          <dd>{Math.round(v.rate.perMinute)} calls a minute (10 % under Spotify&apos;s window)</dd>
          <dt>Blocked</dt>
          <dd>{v.rate.blockedUntil ? `until ${v.rate.blockedUntil.toISOString()} (${v.rate.blockedReason})` : "no"}</dd>
          <dt>Batch endpoints</dt>
          <dd>{v.rate.batchEndpoints}</dd>
        </dl>
      </section>
      <section className="panel">
        <h2>Queue</h2>
        <div className="table-scroll">
          <table className="list" data-testid="queue">
            <thead>
              <tr>
                <th>Task</th>
                <th>Ready</th>
                <th>Scheduled</th>
                <th>Running</th>
              </tr>
            </thead>
            <tbody>
              {v.queue.length === 0 ? (
                <tr>
                  <td colSpan={4} className="muted">
                    Empty.
                  </td>
                </tr>
              ) : (
                v.queue.map((q) => (
                  <tr key={q.task}>
                    <td>{q.task}</td>
                    <td>{q.ready}</td>
                    <td>{q.scheduled}</td>
                    <td>{q.running}</td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
        </div>
      </section>
      <section className="panel">
        <h2>People</h2>
        <div className="table-scroll">
          <table className="list" data-testid="backlogs">
            <thead>
              <tr>
                <th>Spotify id</th>
                <th>Connection</th>
                <th>Listens</th>
                <th>Pending</th>
                <th>Tracks left (need a call)</th>
                <th>Last run</th>
              </tr>
            </thead>
            <tbody>
              {v.users.map((u) => (
                <tr key={u.spotifyId}>
                  <td>{u.displayName ? `${u.displayName} (${u.spotifyId})` : u.spotifyId}</td>
                  <td>{u.connection}</td>
                  <td>{n(u.listens)}</td>
                  <td>{n(u.pending)}</td>
                  <td>
                    {n(u.uniqueLeft)} ({n(u.needingCalls)})
                  </td>
                  <td>{u.lastRun ? `${u.lastRun.slice(0, 16).replace("T", " ")} ${u.lastStatus}` : "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <section className="panel">
        <h2>Run log</h2>
        <RunsTable runs={v.runs} testId="all-runs" withPerson />
      </section>
    </main>
  );
}
