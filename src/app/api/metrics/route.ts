import { checkBearer } from "@/lib/auth/bearer";
import { jsonError } from "@/lib/auth/guard";
import { appDb } from "@/lib/db/app-db";
import { renderMetrics } from "@/lib/monitoring/metrics";

export const dynamic = "force-dynamic";

/** GET /api/metrics — Prometheus text. With METRICS_TOKEN set, only with `Authorization: Bearer <token>`. */
export async function GET(request: Request): Promise<Response> {
  const { db, config } = appDb();
  if (config.METRICS_TOKEN && checkBearer(request.headers.get("authorization"), config.METRICS_TOKEN) !== "ok") {
    return jsonError(401, "unauthorized", "Send Authorization: Bearer <METRICS_TOKEN>.");
  }
  const { body, contentType } = await renderMetrics(db, config);
  return new Response(body, { headers: { "content-type": contentType, "cache-control": "no-store" } });
}
