import { z } from "zod";
import { userRoute } from "@/lib/auth/guard";
import { appDb } from "@/lib/db/app-db";
import { toPanelRun } from "@/lib/monitoring/enrichment-panel";
import { parseQuery, q } from "@/lib/web/query";

const query = z.object({ limit: q.int(1, 200).default(50), before: q.id().optional() });

/** GET /api/spotify/enrich/runs?limit=50&before=<run id> — the caller's run log, newest first. */
export const GET = userRoute(async (request, user) => {
  const parsed = parseQuery(request.url, query);
  if (!parsed.ok) return parsed.response;
  const { limit, before } = parsed.data;
  let q = appDb().db.selectFrom("enrichment_runs").selectAll().where("user_id", "=", user.id).orderBy("id", "desc").limit(limit);
  if (before) q = q.where("id", "<", before);
  const runs = (await q.execute()).map(toPanelRun);
  return Response.json({ runs, next: runs.length === limit ? runs.at(-1)!.id : null }, { headers: { "cache-control": "no-store" } });
});
