import { userRoute } from "@/lib/auth/guard";
import { appDb } from "@/lib/db/app-db";
import { connectionStatus } from "@/lib/spotify/connection";

/** GET /api/me — who is signed in, and the state of their Spotify connection. */
export const GET = userRoute(async (_request, user) => {
  const connection = await connectionStatus(appDb().db, user.id);
  return Response.json({
    user: { spotifyId: user.spotify_id, displayName: user.display_name, createdAt: user.created_at },
    connection,
  });
});
