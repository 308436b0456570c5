import { jsonError, userRoute } from "@/lib/auth/guard";
import { appDb } from "@/lib/db/app-db";
import { toPanelRun } from "@/lib/monitoring/enrichment-panel";

/** GET /api/spotify/enrich/runs?limit=50&before=<run id> — the caller's run log, newest first. */
export const GET = userRoute(async (request, user) => {
  const params = new URL(request.url).searchParams;
  const limit = Number(params.get("limit") ?? 50);
  const before = params.get("before");
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) return jsonError(400, "bad_limit", "limit must be a whole number from 1 to 200.");
  if (before !== null && !/^\d+$/.test(before)) return jsonError(400, "bad_before", "before must be a run id.");
  let q = appDb().db.selectFrom("enrichment_runs").selectAll().where("user_id", "=", user.id).orderBy("id", "desc").limit(limit);
  if (before) q = q.where("id", "<", before);
  const runs = (await q.execute()).map(toPanelRun);
  return Response.json({ runs, next: runs.length === limit ? runs.at(-1)!.id : null }, { headers: { "cache-control": "no-store" } });
});
