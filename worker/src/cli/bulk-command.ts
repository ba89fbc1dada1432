import { TASK_STATUSES, type BulkTaskFilter, type TaskStatus } from "@errand/core";
import { databaseBackend, setUp } from "./common";
import type { FlagSpec } from "./flags";
import { UsageError } from "./usage-error";

/** Flags of `errand retry` and `errand cancel` (besides the common ones). */
export const BULK_FLAGS: readonly FlagSpec[] = [
  { flag: "status", arg: "S", rule: { kind: "string" }, help: "FAILED for retry, PENDING for cancel (the default)" },
  { flag: "queue-name", arg: "Q", rule: { kind: "string" }, help: "only this queue" },
  { flag: "task-name", arg: "T", rule: { kind: "string" }, help: "only this task" },
  {
    flag: "enqueued-before",
    arg: "ISO",
    rule: { kind: "string" },
    help: "only tasks enqueued before this time (ISO 8601)",
  },
  {
    flag: "finished-before",
    arg: "ISO",
    rule: { kind: "string" },
    help: "only tasks finished before this time (ISO 8601; retry)",
  },
];

/**
 * `errand retry` (FAILED → PENDING) and `errand cancel` (PENDING → FAILED with
 * `TaskCancelled`) for every task matching the flags, in batches of 1,000 rows, printing
 * how many.
 */
export async function bulkCommand(flags: {
  action: "retry" | "cancel";
  config?: string | undefined;
  backend: string;
  values: Record<string, unknown>;
}): Promise<number> {
  const filter = bulkFilter(flags.action, flags.values);
  await setUp({ config: flags.config });
  const backend = databaseBackend(flags.backend);
  const count = flags.action === "retry" ? await backend.retryMany(filter) : await backend.cancelMany(filter);
  process.stdout.write(
    `${flags.action === "retry" ? "Retried" : "Cancelled"} ${count} task${count === 1 ? "" : "s"}.\n`,
  );
  return 0;
}

function bulkFilter(action: "retry" | "cancel", values: Record<string, unknown>): BulkTaskFilter {
  const expected: TaskStatus = action === "retry" ? "FAILED" : "PENDING";
  const status = (values.status as string | undefined)?.toUpperCase() ?? expected;
  if (!(TASK_STATUSES as readonly string[]).includes(status) || status !== expected) {
    throw new UsageError(
      `errand ${action} --status: only ${expected} tasks can be ${action === "retry" ? "retried" : "cancelled"}, got "${values.status as string}".`,
    );
  }
  return {
    status: status,
    queueName: values["queue-name"] as string | undefined,
    taskName: values["task-name"] as string | undefined,
    enqueuedBefore: date(values["enqueued-before"], "enqueued-before"),
    finishedBefore: date(values["finished-before"], "finished-before"),
  };
}

function date(raw: unknown, flag: string): Date | undefined {
  if (raw === undefined) return undefined;
  const value = raw as string;
  const parsed = new Date(value);
  if (Number.isNaN(parsed.getTime())) {
    throw new UsageError(`--${flag} must be a date and time (ISO 8601, e.g. 2026-12-03T10:00:00Z), got "${value}".`);
  }
  return parsed;
}
