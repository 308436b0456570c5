import { z } from "zod";
import { userRoute } from "@/lib/auth/guard";
import { appDb } from "@/lib/db/app-db";
import { enqueueEnrich } from "@/lib/enrichment/triggers";
import { hasValidConnection, retryItems } from "@/lib/enrichment/backlog";
import { parseQuery, q } from "@/lib/web/query";

const query = z.object({ notFound: q.flag().default(false) });

/**
 * POST /api/spotify/enrich/retry — "Retry failed": failed listens (and with `?notFound=1` the ones
 * Spotify had no match for) go back to pending, and a run is queued.
 */
export const POST = userRoute(async (request, user) => {
  const parsed = parseQuery(request.url, query);
  if (!parsed.ok) return parsed.response;
  const { notFound } = parsed.data;
  const { db } = appDb();
  const requeued = await retryItems(db, user.id, { notFound });
  const job = requeued > 0 && (await hasValidConnection(db, user.id)) ? await enqueueEnrich(db, user.id, "manual") : null;
  return Response.json({ requeued, jobId: job?.id ?? null }, { status: 202, headers: { "cache-control": "no-store" } });
});
