import { checkBearer } from "@/lib/auth/bearer";
import { currentUser } from "@/lib/auth/guard";
import { appDb } from "@/lib/db/app-db";
import { isAdmin } from "@/lib/auth/admins";
import { checkHealth, healthOptions, publicHealth } from "@/lib/monitoring/health";

export const dynamic = "force-dynamic";

/** The details (versions, counts, messages) are for `Authorization: Bearer $METRICS_TOKEN` or an operator. */
async function maySeeDetails(request: Request, metricsToken: string | undefined): Promise<boolean> {
  if (checkBearer(request.headers.get("authorization"), metricsToken) === "ok") return true;
  const user = await currentUser(request).catch(() => null);
  return user ? isAdmin(user).catch(() => false) : false;
}

/** GET /api/health — 200 or 503 with the failing checks' names for anyone; the full report for operators. */
export async function GET(request: Request): Promise<Response> {
  const { pool, config } = appDb();
  const report = await checkHealth(pool, healthOptions(config));
  const body = (await maySeeDetails(request, config.METRICS_TOKEN)) ? report : publicHealth(report);
  return Response.json(body, {
    status: report.status === "ok" ? 200 : 503,
    headers: { "cache-control": "no-store" },
  });
}
