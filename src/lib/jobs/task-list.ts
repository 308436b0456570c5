import type { Task } from "graphile-worker";
import type { TaskName } from "../queue/tasks";
import { checkAlertsTask } from "./tasks/check-alerts";
import { enrich } from "./tasks/enrich";
import { enrichAll } from "./tasks/enrich-all";
import { importUpload } from "./tasks/import-upload";
import { ping } from "./tasks/ping";

/**
 * Every task a Liner worker runs, by name: the one file that knows every handler. Names and
 * payloads live in src/lib/queue/tasks.ts; each task validates its payload there.
 */
export const taskList: Record<TaskName, Task> = {
  ping,
  import_upload: importUpload,
  enrich,
  enrich_all: enrichAll,
  check_alerts: checkAlertsTask,
};
