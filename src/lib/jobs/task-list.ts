import type { TaskList } from "graphile-worker";
import { checkAlertsTask } from "./tasks/check-alerts";
import { enrich } from "./tasks/enrich";
import { enrichAll } from "./tasks/enrich-all";
import { importUpload } from "./tasks/import-upload";
import { ping } from "./tasks/ping";

/**
 * Every task a Liner worker runs, by name. Later work (imports, enrichment, the schedule) plugs in
 * here; a job's payload is validated by its own task.
 */
export const taskList: TaskList = {
  ping,
  import_upload: importUpload,
  enrich,
  enrich_all: enrichAll,
  check_alerts: checkAlertsTask,
};

export type TaskName = keyof typeof taskList;
