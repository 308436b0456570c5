import { userRoute } from "@/lib/auth/guard";
import { appDb } from "@/lib/db/app-db";
import { enqueueEnrich } from "@/lib/enrichment/triggers";
import { hasValidConnection, retryItems } from "@/lib/enrichment/backlog";

/**
 * POST /api/spotify/enrich/retry — "Retry failed": failed listens (and with `?notFound=1` the ones
 * Spotify had no match for) go back to pending, and a run is queued.
 */
export const POST = userRoute(async (request, user) => {
  const { db } = appDb();
  const notFound = new URL(request.url).searchParams.get("notFound") === "1";
  const requeued = await retryItems(db, user.id, { notFound });
  const job = requeued > 0 && (await hasValidConnection(db, user.id)) ? await enqueueEnrich(db, user.id, "manual") : null;
  return Response.json({ requeued, jobId: job?.id ?? null }, { status: 202, headers: { "cache-control": "no-store" } });
});
