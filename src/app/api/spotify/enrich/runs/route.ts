import { jsonError, userRoute } from "@/lib/auth/guard";
import { appDb } from "@/lib/db/app-db";
import { runLog } from "@/lib/monitoring/enrichment-panel";

/** GET /api/spotify/enrich/runs?limit=50&before=<run id> — the caller's run log, newest first. */
export const GET = userRoute(async (request, user) => {
  const params = new URL(request.url).searchParams;
  const limit = Number(params.get("limit") ?? 50);
  const before = params.get("before");
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) return jsonError(400, "bad_limit", "limit must be a whole number from 1 to 200.");
  if (before !== null && !/^\d+$/.test(before)) return jsonError(400, "bad_before", "before must be a run id.");
  return Response.json(await runLog(appDb().db, user.id, { limit, before }), { headers: { "cache-control": "no-store" } });
});
