import { rm } from "node:fs/promises";
import path from "node:path";
import { sql, type Kysely } from "kysely";
import type { Database } from "../db/schema";
import { OPERATOR_KEY } from "./admins";

/**
 * Deletes a person and everything that can be traced to them, in one transaction:
 * - their rows: listens (no foreign key, for import speed: deleted here), then the user, whose
 *   foreign keys cascade to sessions, tokens, uploads, runs, counts and the backlog;
 * - their spellings in the shared lookup cache (`track_lookups` keeps the names an export gave),
 *   unless another person's listens carry the same key — Spotify's own catalogue rows stay;
 * - their queued jobs (an `enrich` keyed by their id, imports of their uploads) and the claims of
 *   their runs;
 * - the operator record, when it names them: it then names nobody (the role is not inherited);
 * and then their upload files on disk — with `tusDir`, also what a resumable upload had received.
 */
export async function deleteAccount(db: Kysely<Database>, userId: string, opts: { tusDir?: string } = {}): Promise<void> {
  const uploads = await db.selectFrom("upload_jobs").select(["id", "file_path", "status"]).where("user_id", "=", userId).execute();
  const uploadIds = uploads.map((u) => u.id);
  await db.transaction().execute(async (tx) => {
    await sql`
      with mine as (
        select distinct k.key
          from listens l, lateral (values (l.lookup_key), ('id:' || l.source_track_id)) k(key)
         where l.user_id = ${userId} and k.key is not null),
      shared as (
        select distinct k.key
          from listens l, lateral (values (l.lookup_key), ('id:' || l.source_track_id)) k(key)
          join mine m on m.key = k.key
         where l.user_id <> ${userId})
      delete from track_lookups tl
       using mine m
       where tl.lookup_key = m.key and not exists (select 1 from shared s where s.key = m.key)`.execute(tx);
    await sql`
      delete from enrichment_claims c
       using enrichment_runs r
       where r.user_id = ${userId} and c.owner like '%:' || r.id || ':%'`.execute(tx);
    // Waiting jobs go; one a worker runs right now ends by itself (the person is gone) and is removed.
    await sql`
      delete from graphile_worker._private_jobs
       where locked_at is null
         and (key = ${`enrich:user:${userId}`} or payload->>'userId' = ${userId}
              or payload->>'uploadId' = any(${uploadIds}::text[]))`.execute(tx);
    await sql`
      update app_state set value = jsonb_build_object('userId', null, 'recordedAt', value->'recordedAt'), updated_at = now()
       where key = ${OPERATOR_KEY} and value->>'userId' = ${userId}`.execute(tx);
    await tx.deleteFrom("listens").where("user_id", "=", userId).execute();
    await tx.deleteFrom("users").where("id", "=", userId).execute();
  });
  const files = uploads.flatMap((u) => [
    ...(u.file_path ? [u.file_path] : []),
    ...(opts.tusDir && u.status === "receiving" ? [path.join(opts.tusDir, u.id), path.join(opts.tusDir, `${u.id}.json`)] : []),
  ]);
  await Promise.all(files.map((f) => rm(f, { force: true })));
}
