import { appDb } from "@/lib/db/app-db";
import { checkHealth, healthOptions } from "@/lib/monitoring/health";

export const dynamic = "force-dynamic";

export async function GET(): Promise<Response> {
  const { pool, config } = appDb();
  const report = await checkHealth(pool, healthOptions(config));
  return Response.json(report, {
    status: report.status === "ok" ? 200 : 503,
    headers: { "cache-control": "no-store" },
  });
}
