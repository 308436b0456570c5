import type { Task } from "graphile-worker";
import type { RunTrigger } from "../../db/schema";
import { tokenKey } from "../../crypto/token-crypto";
import { loadConfig } from "../../config/env";
import { enrichListens } from "../../enrichment/enrich-listens";
import { taskContext } from "../context";
import { enrichJobKey } from "../../enrichment/triggers";
import { enqueue } from "../../queue/enqueue";
import { parsePayload } from "../../queue/tasks";

/**
 * When every item of a batch was being fetched by other runs, look again shortly, not at once. Only
 * then: a batch that resolved no track but fetched artists or ISRCs goes on at once.
 */
const BUSY_RETRY_MS = 5_000;

/**
 * One batch of a person's enrichment (the work is enrichListens). When work is left it enqueues
 * the next batch behind everyone else's (fair across people); when Spotify's limit or quota, or an
 * outage of Spotify's, stopped it, the next batch is scheduled for the time it lifts — it resumes by
 * itself.
 */
export const enrich: Task = async (payload, helpers) => {
  const { userId, trigger, batchSize } = parsePayload("enrich", payload);
  const config = loadConfig();
  const { db, workerId, stopping } = taskContext();
  const [stats] = await enrichListens({ db, config, tokenKey: tokenKey(config), workerId, shouldStop: stopping }, { userId, trigger, batchSize, jobId: helpers.job.id });
  if (!stats) return;
  helpers.logger.info(
    `enrich user ${userId}: ${stats.status}, ${stats.enriched}/${stats.processed} items, ${stats.listensUpdated + stats.listensFromCatalogue} listens, ${stats.apiCalls} calls, ${stats.remaining} left`,
  );
  const next = (runAt: Date, nextTrigger: RunTrigger) =>
    enqueue(db, "enrich", { userId, trigger: nextTrigger, ...(batchSize ? { batchSize } : {}) }, { jobKey: enrichJobKey(userId), runAt });
  if ((stats.status === "rate_limited" || stats.status === "quota_paused" || stats.status === "spotify_unavailable") && stats.resumeAt) {
    await next(stats.resumeAt, "resume");
  } else if ((stats.status === "succeeded" || stats.status === "partial") && (stats.remaining > 0 || stats.deferred || stats.artistsFetched > 0 || stats.tracksDetailed > 0)) {
    // Tracks left, or the lower-priority artist and ISRC work may have more to do (or did not get
    // its turn in a full batch): one more batch.
    await next(new Date(Date.now() + (stats.busy ? BUSY_RETRY_MS : 0)), trigger);
  }
};
