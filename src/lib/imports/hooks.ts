import type pg from "pg";

export interface ImportCompleted {
  userId: string;
  uploadId: string;
  inserted: number;
  upgraded: number;
}

/**
 * Runs inside the transaction that marks an upload completed, so whatever it enqueues commits
 * with the listens or not at all. This is the one place the enrichment trigger belongs (the
 * automation work): enqueue `enrich` with job key `enrich:user:<id>` when `inserted + upgraded > 0`.
 * Until then it does nothing.
 */
export async function onImportCompleted(_tx: pg.ClientBase, _event: ImportCompleted): Promise<void> {}
