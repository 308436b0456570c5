import { jsonError, userRoute } from "@/lib/auth/guard";
import { appDb } from "@/lib/db/app-db";
import { enqueueEnrich } from "@/lib/enrichment/triggers";
import { hasValidConnection } from "@/lib/enrichment/backlog";
import { callsHeldUntil, enrichmentPanel, hasWorkToDo } from "@/lib/monitoring/enrichment-panel";
import { NOTHING_TO_ENRICH } from "@/lib/monitoring/live-state";

export const dynamic = "force-dynamic";

/**
 * GET /api/spotify/enrich — the live state every open tab polls (every 2 s while anything is
 * queued, running or waiting on a limit): progress, backlog, time left, state in words, latest runs.
 * The server is its only source: a second tab shows what the first caused at its next poll.
 */
export const GET = userRoute(async (_request, user) => {
  const { db, config } = appDb();
  return Response.json(await enrichmentPanel(db, config, user.id), { headers: { "cache-control": "no-store" } });
});

/**
 * POST /api/spotify/enrich — "Enrich now": queued at once (repeated clicks coalesce into one job);
 * with nothing left to do it says so (200, status "nothing") and queues nothing; while a limit
 * holds every call back it says enrichment goes on when it lifts (202, status "waiting", `until`).
 */
export const POST = userRoute(async (_request, user) => {
  const { db, config } = appDb();
  if (!(await hasValidConnection(db, user.id))) {
    return jsonError(409, "not_connected", "Connect Spotify first: only listens of people with a valid connection are enriched.");
  }
  if (!(await hasWorkToDo(db, user.id))) {
    return Response.json({ jobId: null, status: "nothing", message: NOTHING_TO_ENRICH }, { headers: { "cache-control": "no-store" } });
  }
  const until = await callsHeldUntil(db, config);
  if (until) {
    const job = await enqueueEnrich(db, user.id, "manual", { notBefore: until });
    return Response.json(
      { jobId: job.id, status: "waiting", until: until.toISOString(), message: "Spotify's limit holds every call back: enrichment goes on by itself when it lifts." },
      { status: 202, headers: { "cache-control": "no-store" } },
    );
  }
  const job = await enqueueEnrich(db, user.id, "manual");
  return Response.json({ jobId: job.id, status: "queued", message: "Queued: enrichment starts in a moment." }, { status: 202, headers: { "cache-control": "no-store" } });
});
