/** The history is counted on the server: a period such as "All time" takes a moment with many listens. */
export default function HistoryLoading() {
  return (
    <main aria-busy="true">
      <h1>History</h1>
      <p className="loading" role="status" data-testid="history-loading">
        <span className="spinner" aria-hidden="true" /> Counting your listens…
      </p>
    </main>
  );
}
