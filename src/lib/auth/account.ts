import { rm } from "node:fs/promises";
import type { Kysely } from "kysely";
import type { Database } from "../db/schema";

/**
 * Deletes a person and everything of theirs — listens, uploads (and their files), runs, sessions,
 * tokens — for real: the foreign keys cascade from `users`, and listens (which carry no foreign key,
 * for import speed) go first in the same transaction. The shared catalogue stays; it holds nothing
 * personal.
 */
export async function deleteAccount(db: Kysely<Database>, userId: string): Promise<void> {
  const files = await db
    .selectFrom("upload_jobs")
    .select("file_path")
    .where("user_id", "=", userId)
    .where("file_path", "is not", null)
    .execute();
  await db.transaction().execute(async (tx) => {
    await tx.deleteFrom("listens").where("user_id", "=", userId).execute();
    await tx.deleteFrom("users").where("id", "=", userId).execute();
  });
  await Promise.all(files.map((f) => rm(f.file_path!, { force: true })));
}
