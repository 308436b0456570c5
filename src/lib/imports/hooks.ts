import type pg from "pg";
import { loadConfig } from "../config/env";
import { enqueueEnrichInTransaction } from "../enrichment/triggers";
import { REFRESH_BACKLOG_SQL } from "../enrichment/backlog";

export interface ImportCompleted {
  userId: string;
  uploadId: string;
  inserted: number;
  upgraded: number;
}

/**
 * Runs inside the transaction that marks an upload completed, so whatever it enqueues commits
 * with the listens or not at all: enrichment for that person starts within seconds of the import
 * (ENRICH_ON_UPLOAD, on by default), when the upload brought anything new.
 */
export async function onImportCompleted(tx: pg.ClientBase, event: ImportCompleted): Promise<void> {
  if (event.inserted + event.upgraded === 0) return;
  // The dashboard shows the new backlog at once, without counting it itself.
  await tx.query(REFRESH_BACKLOG_SQL, [event.userId]);
  if (!loadConfig().ENRICH_ON_UPLOAD) return;
  await enqueueEnrichInTransaction(tx, event.userId, "upload");
}
