/** Shown at once while a page is being put together on the server (any wait over a moment). */
export default function Loading() {
  return (
    <main aria-busy="true">
      <p className="loading" role="status" data-testid="page-loading">
        <span className="spinner" aria-hidden="true" /> Loading…
      </p>
    </main>
  );
}
