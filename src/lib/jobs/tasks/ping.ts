import type { Task } from "graphile-worker";
import { parsePayload } from "../../queue/tasks";

/**
 * Proves the queue works end to end (`liner doctor` and the tests use it): a worker picks the job
 * up and records that it did, in the database everyone can read.
 */
export const ping: Task = async (payload, helpers) => {
  const { note } = parsePayload("ping", payload);
  await helpers.query(
    `insert into app_state (key, value, updated_at) values ('ping', $1, now())
     on conflict (key) do update set value = excluded.value, updated_at = now()`,
    [JSON.stringify({ note, jobId: helpers.job.id, at: new Date().toISOString() })],
  );
};
