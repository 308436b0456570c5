import { jsonError, userRoute } from "@/lib/auth/guard";
import { appDb } from "@/lib/db/app-db";
import { enqueueEnrich } from "@/lib/enrichment/triggers";
import { hasValidConnection } from "@/lib/enrichment/backlog";
import { enrichmentPanel } from "@/lib/monitoring/enrichment-panel";

/** GET /api/spotify/enrich — progress, backlog, ETA, state in words and the latest runs. */
export const GET = userRoute(async (_request, user) => {
  const { db, config } = appDb();
  return Response.json(await enrichmentPanel(db, config, user.id), { headers: { "cache-control": "no-store" } });
});

/** POST /api/spotify/enrich — "Enrich now": queued at once; repeated clicks coalesce into one job. */
export const POST = userRoute(async (_request, user) => {
  const { db } = appDb();
  if (!(await hasValidConnection(db, user.id))) {
    return jsonError(409, "not_connected", "Connect Spotify first: only listens of people with a valid connection are enriched.");
  }
  const job = await enqueueEnrich(db, user.id, "manual");
  return Response.json({ jobId: job.id, status: "queued" }, { status: 202, headers: { "cache-control": "no-store" } });
});
