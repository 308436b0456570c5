import { appDb } from "@/lib/db/app-db";
import { checkHealth } from "@/lib/monitoring/health";

export const dynamic = "force-dynamic";

export async function GET(): Promise<Response> {
  const { pool, config } = appDb();
  const report = await checkHealth(pool, { aliveWithinSeconds: config.WORKER_ALIVE_WITHIN_SECONDS });
  return Response.json(report, {
    status: report.status === "ok" ? 200 : 503,
    headers: { "cache-control": "no-store" },
  });
}
