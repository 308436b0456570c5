import { z } from "zod";
import type { RunTrigger } from "../db/schema";

const RUN_TRIGGERS = ["schedule", "upload", "manual", "cron-endpoint", "cli", "resume"] as const satisfies readonly RunTrigger[];

/**
 * The names of the worker's tasks and the payload each one takes: what both sides of the queue
 * agree on. Whoever enqueues imports this leaf; only the task list (src/lib/jobs/task-list.ts)
 * knows the handlers, so nothing that adds a job depends on the code that runs it.
 */
export const payloadSchemas = {
  ping: z.object({ note: z.string().max(200).default("") }).default({ note: "" }),
  import_upload: z.object({ uploadId: z.uuid() }),
  enrich: z.object({
    userId: z.string().regex(/^\d+$/, "expected a user id"),
    trigger: z.enum(RUN_TRIGGERS).default("schedule"),
    batchSize: z.number().int().min(1).max(1000).optional(),
  }),
  enrich_all: z
    .object({ trigger: z.enum(["schedule", "cron-endpoint"]).default("schedule") })
    .default({ trigger: "schedule" }),
  check_alerts: z.unknown(),
} as const;

export type TaskName = keyof typeof payloadSchemas;

/** What a caller passes for each task (defaults may be left out). */
export type TaskPayload<T extends TaskName> = z.input<(typeof payloadSchemas)[T]>;

/** Validates a job's payload for its task; a bad payload fails the job with zod's message. */
export function parsePayload<T extends TaskName>(task: T, payload: unknown): z.output<(typeof payloadSchemas)[T]> {
  return payloadSchemas[task].parse(payload ?? {}) as z.output<(typeof payloadSchemas)[T]>;
}
