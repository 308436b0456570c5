import type { Task } from "graphile-worker";
import { loadConfig } from "../../config/env";
import { importLimits } from "../../imports/uploads";
import { runImport } from "../../imports/run-import";
import { parsePayload } from "../../queue/tasks";

/**
 * Imports one upload (the job's light definition; the work is runImport). Bad input ends the
 * upload `failed` and the job succeeds, so the worker moves on; an internal error is retried
 * while attempts remain.
 */
export const importUpload: Task = async (payload, helpers) => {
  const { uploadId } = parsePayload("import_upload", payload);
  const config = loadConfig();
  await runImport(
    {
      query: (text, values) => helpers.query(text, values as unknown[]),
      withClient: (fn) => helpers.withPgClient(fn),
    },
    uploadId,
    {
      limits: importLimits(config),
      removeFile: true,
      finalAttempt: helpers.job.attempts >= helpers.job.max_attempts,
      log: {
        debug: (m) => helpers.logger.debug(m),
        info: (m) => helpers.logger.info(m),
        warn: (m) => helpers.logger.warn(m),
        error: (m) => helpers.logger.error(m),
      },
    },
  );
};
