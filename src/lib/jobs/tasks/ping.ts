import type { Task } from "graphile-worker";
import { z } from "zod";

const payloadSchema = z.object({ note: z.string().max(200).default("") }).default({ note: "" });

/**
 * Proves the queue works end to end (`liner doctor` and the tests use it): a worker picks the job
 * up and records that it did, in the database everyone can read.
 */
export const ping: Task = async (payload, helpers) => {
  const { note } = payloadSchema.parse(payload ?? {});
  await helpers.query(
    `insert into app_state (key, value, updated_at) values ('ping', $1, now())
     on conflict (key) do update set value = excluded.value, updated_at = now()`,
    [JSON.stringify({ note, jobId: helpers.job.id, at: new Date().toISOString() })],
  );
};
