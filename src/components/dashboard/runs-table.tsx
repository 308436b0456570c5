"use client";

import type { PanelRun } from "@/lib/monitoring/enrichment-panel";
import { humaniseNote, runStatusWords, runTriggerWords, stamp } from "@/lib/monitoring/live-state";
import { useNow } from "./use-now";

/**
 * The run log as a table: the panel's latest runs, and every person's on the operator page. States
 * and triggers in words; times in the reader's zone (filled in once the page runs in the browser).
 */
export function RunsTable({ runs, testId, withPerson = false }: { runs: Array<PanelRun & { spotifyId?: string | null }>; testId: string; withPerson?: boolean }) {
  const now = useNow(30_000);
  return (
    <div className="table-scroll">
      <table className="runs" data-testid={testId}>
        <thead>
          <tr>
            <th>Started</th>
            {withPerson && <th>Person</th>}
            <th>Why</th>
            <th>State</th>
            <th>Tracks</th>
            <th>Listens</th>
            <th>Calls</th>
            <th>Note</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => (
            <tr key={r.id} data-status={r.status}>
              <td>
                <time dateTime={r.startedAt} title={r.startedAt}>
                  {now ? stamp(r.startedAt, { now }) : "…"}
                </time>
              </td>
              {withPerson && <td>{r.spotifyId ?? "—"}</td>}
              <td>{runTriggerWords(r.trigger)}</td>
              <td>{runStatusWords(r.status)}</td>
              <td>
                {r.itemsMatched}/{r.itemsAttempted}
                {r.itemsNotFound ? `, ${r.itemsNotFound} not found` : ""}
                {r.itemsFailed ? `, ${r.itemsFailed} failed` : ""}
              </td>
              <td>{r.listensUpdated.toLocaleString("en-US")}</td>
              <td>{r.apiCalls}</td>
              <td className="muted">{r.error ? (now ? humaniseNote(r.error, { now }) : "…") : ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
