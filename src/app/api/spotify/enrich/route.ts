import { jsonError, userRoute } from "@/lib/auth/guard";
import { appDb } from "@/lib/db/app-db";
import { enqueueEnrich } from "@/lib/enrichment/triggers";
import { hasValidConnection } from "@/lib/enrichment/work";

/** POST /api/spotify/enrich — "Enrich now": queued at once; repeated clicks coalesce into one job. */
export const POST = userRoute(async (_request, user) => {
  const { db } = appDb();
  if (!(await hasValidConnection(db, user.id))) {
    return jsonError(409, "not_connected", "Connect Spotify first: only listens of people with a valid connection are enriched.");
  }
  const job = await enqueueEnrich(db, user.id, "manual");
  return Response.json({ jobId: job.id, status: "queued" }, { status: 202, headers: { "cache-control": "no-store" } });
});
