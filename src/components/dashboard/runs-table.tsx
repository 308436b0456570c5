import type { PanelRun } from "@/lib/monitoring/enrichment-panel";

/** The run log as a table: the panel's latest runs, and every person's on the operator page. */
export function RunsTable({ runs, testId, withPerson = false }: { runs: Array<PanelRun & { spotifyId?: string | null }>; testId: string; withPerson?: boolean }) {
  return (
    <table className="runs" data-testid={testId}>
      <thead>
        <tr>
          <th>Started</th>
          {withPerson && <th>Person</th>}
          <th>Trigger</th>
          <th>Status</th>
          <th>Tracks</th>
          <th>Listens</th>
          <th>Calls</th>
          <th>Note</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((r) => (
          <tr key={r.id}>
            <td>{r.startedAt.slice(0, 16).replace("T", " ")}</td>
            {withPerson && <td>{r.spotifyId ?? "—"}</td>}
            <td>{r.trigger}</td>
            <td>{r.status}</td>
            <td>
              {r.itemsMatched}/{r.itemsAttempted}
              {r.itemsNotFound ? `, ${r.itemsNotFound} not found` : ""}
              {r.itemsFailed ? `, ${r.itemsFailed} failed` : ""}
            </td>
            <td>{r.listensUpdated.toLocaleString("en-US")}</td>
            <td>{r.apiCalls}</td>
            <td className="muted">{r.error ?? ""}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
