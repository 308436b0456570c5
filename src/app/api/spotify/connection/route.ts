import { userRoute } from "@/lib/auth/guard";
import { appDb } from "@/lib/db/app-db";
import { connectionStatus, disconnect } from "@/lib/spotify/connection";

/** GET /api/spotify/connection — state, when to reconnect by, the last error. */
export const GET = userRoute(async (_request, user) => Response.json(await connectionStatus(appDb().db, user.id)));

/** DELETE /api/spotify/connection — disconnect: tokens deleted at once, enrichment stops. */
export const DELETE = userRoute(async (_request, user) => {
  const { db } = appDb();
  await disconnect(db, user.id);
  return Response.json(await connectionStatus(db, user.id));
});
