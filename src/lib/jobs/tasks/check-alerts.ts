import type { Task } from "graphile-worker";
import { loadConfig } from "../../config/env";
import { checkAlerts } from "../../monitoring/alerts";
import { taskContext } from "../context";

/** Every minute on the crontab: health turned to warning, or recovered → one webhook alert. */
export const checkAlertsTask: Task = async (_payload, helpers) => {
  const r = await checkAlerts(taskContext().pool, loadConfig());
  if (r.sent) helpers.logger.info(`alert sent: ${r.sent}${r.error ? ` (${r.error})` : ""}`);
  else if (r.error) helpers.logger.warn(r.error);
};
