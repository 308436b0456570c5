import { sql, type Kysely } from "kysely";
import { loadConfig } from "../config/env";
import { appDb } from "../db/app-db";
import type { Database, User } from "../db/schema";

/** The `app_state` key that records the install's first operator. */
export const OPERATOR_KEY = "operator";

/**
 * Records `userId` as the install's operator if nobody was ever recorded: one atomic insert, so of
 * two first sign-ins at once exactly one wins. Called by every sign-in; only the first one counts.
 * The record stays when that person deletes their account: nobody inherits the role.
 */
export async function claimOperator(db: Kysely<Database>, userId: string): Promise<boolean> {
  const { rows } = await sql<{ key: string }>`
    insert into app_state (key, value)
    values (${OPERATOR_KEY}, jsonb_build_object('userId', ${userId}::text, 'recordedAt', now()))
    on conflict (key) do nothing
    returning key`.execute(db);
  return rows.length > 0;
}

/** The recorded operator's user id (null: nobody signed in yet, or the record names nobody). */
export async function recordedOperator(db: Kysely<Database>): Promise<string | null> {
  const row = await db.selectFrom("app_state").select(sql<string | null>`value->>'userId'`.as("user_id")).where("key", "=", OPERATOR_KEY).executeTakeFirst();
  return row?.user_id ?? null;
}

/**
 * The install's operators: the Spotify ids in ADMIN_SPOTIFY_IDS, or — when none are set — the
 * person recorded as the first to sign in (the one who set Liner up). When that person deletes
 * their account there is no operator until ADMIN_SPOTIFY_IDS names one.
 */
export async function isAdmin(user: Pick<User, "id" | "spotify_id">, db: Kysely<Database> = appDb().db): Promise<boolean> {
  const ids = loadConfig().ADMIN_SPOTIFY_IDS;
  if (ids.length > 0) return ids.includes(user.spotify_id);
  return (await recordedOperator(db)) === String(user.id);
}
