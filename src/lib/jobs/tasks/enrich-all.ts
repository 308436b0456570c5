import type { Task } from "graphile-worker";
import { closeAbandonedRuns } from "../../enrichment/runs";
import { enqueueEnrichForAll } from "../../enrichment/triggers";
import { loadConfig } from "../../config/env";
import { sweepPartialUploads } from "../../imports/sweep-uploads";
import { sweepTusUploads } from "../../imports/tus";
import { uploadsDir } from "../../imports/uploads";
import { parsePayload } from "../../queue/tasks";
import { pruneCallCounts } from "../../spotify/rate-budget";
import { taskContext } from "../context";

/**
 * The schedule's tick (the crontab, or pg_cron's `select graphile_worker.add_job('enrich_all')`):
 * one `enrich` job per person with pending work. graphile-worker fires a crontab entry once per
 * tick however many workers run.
 */
export const enrichAll: Task = async (payload, helpers) => {
  const { trigger } = parsePayload("enrich_all", payload);
  const { db } = taskContext();
  // Housekeeping on the same tick: runs a killed worker left "running", call counts past the day.
  const closed = await closeAbandonedRuns(db);
  if (closed > 0) helpers.logger.warn(`closed ${closed} run(s) left running by a stopped worker`);
  await pruneCallCounts(db);
  const config = loadConfig();
  const swept = await sweepPartialUploads(db, uploadsDir(config));
  if (swept.length) helpers.logger.warn(`removed ${swept.length} partial upload file(s) left by a stopped web process`);
  const expired = await sweepTusUploads(db, config);
  if (expired > 0) helpers.logger.info(`removed ${expired} resumable upload(s) left unfinished for a day`);
  const n = await enqueueEnrichForAll(db, trigger);
  helpers.logger.info(`enrich_all (${trigger}): enqueued enrichment for ${n} ${n === 1 ? "person" : "people"}`);
};
