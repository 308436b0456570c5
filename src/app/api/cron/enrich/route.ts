import { z } from "zod";
import { checkBearer } from "@/lib/auth/bearer";
import { jsonError } from "@/lib/auth/guard";
import { tokenKey } from "@/lib/crypto/token-crypto";
import { appDb } from "@/lib/db/app-db";
import { enqueueEnrichForAll } from "@/lib/enrichment/triggers";
import { enrichListens } from "@/lib/enrichment/enrich-listens";
import { parseQuery, q } from "@/lib/web/query";

const query = z.object({ inline: q.flag().default(false) });

export const dynamic = "force-dynamic";

/** Inline runs stop starting calls after this, to answer within a serverless function's limit. */
const INLINE_MS = 25_000;

/**
 * GET|POST /api/cron/enrich — for schedulers that call a URL (Vercel Cron, Supabase pg_net):
 * `Authorization: Bearer $CRON_SECRET`. Enqueues enrichment for everyone with pending work (the
 * workers do it); with `?inline=1`, for hosts without workers, runs one batch per person right here.
 */
async function handle(request: Request): Promise<Response> {
  const { db, config } = appDb();
  const auth = checkBearer(request.headers.get("authorization"), config.CRON_SECRET);
  if (auth === "disabled") return jsonError(503, "cron_disabled", "This endpoint is off: set CRON_SECRET to use it.");
  if (auth === "refused") return jsonError(401, "unauthorized", "Send Authorization: Bearer <CRON_SECRET>.");
  const parsed = parseQuery(request.url, query);
  if (!parsed.ok) return parsed.response;
  if (parsed.data.inline) {
    const runs = await enrichListens({ db, config, tokenKey: tokenKey(config), workerId: "cron-endpoint" }, { trigger: "cron-endpoint", maxMs: INLINE_MS, maxWaitMs: 5_000 });
    return Response.json(
      { mode: "inline", runs: runs.map((r) => ({ runId: r.runId, status: r.status, enriched: r.enriched, notFound: r.notFound, failed: r.failed, apiCalls: r.apiCalls, remaining: r.remaining })) },
      { headers: { "cache-control": "no-store" } },
    );
  }
  const enqueued = await enqueueEnrichForAll(db, "cron-endpoint");
  return Response.json({ mode: "queued", enqueued }, { status: 202, headers: { "cache-control": "no-store" } });
}

export const GET = handle;
export const POST = handle;
