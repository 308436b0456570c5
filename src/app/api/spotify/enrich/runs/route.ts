import { z } from "zod";
import { userRoute } from "@/lib/auth/guard";
import { appDb } from "@/lib/db/app-db";
import { runLog } from "@/lib/monitoring/enrichment-panel";
import { parseQuery, q } from "@/lib/web/query";

const query = z.object({ limit: q.int(1, 200).default(50), before: q.id().optional() });

/** GET /api/spotify/enrich/runs?limit=50&before=<run id> — the caller's run log, newest first. */
export const GET = userRoute(async (request, user) => {
  const parsed = parseQuery(request.url, query);
  if (!parsed.ok) return parsed.response;
  return Response.json(await runLog(appDb().db, user.id, parsed.data), { headers: { "cache-control": "no-store" } });
});
