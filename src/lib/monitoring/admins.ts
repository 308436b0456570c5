import { loadConfig } from "../config/env";
import { appDb } from "../db/app-db";
import type { User } from "../db/schema";

/**
 * The install's operators: the Spotify ids in ADMIN_SPOTIFY_IDS, or — when none are set — the first
 * person who signed in (the one who set Liner up).
 */
export async function isAdmin(user: Pick<User, "id" | "spotify_id">): Promise<boolean> {
  const ids = loadConfig().ADMIN_SPOTIFY_IDS;
  if (ids.length > 0) return ids.includes(user.spotify_id);
  const first = await appDb().db.selectFrom("users").select("id").orderBy("id").limit(1).executeTakeFirst();
  return first?.id === user.id;
}
