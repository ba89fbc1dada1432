import type { QueueTimings, TaskError, TaskRecord, TaskStatus } from "@errand/core";

/** `T` as it travels as JSON: every `Date` (also in arrays, objects and `| null`) an ISO 8601 string. */
export type DatesAsStrings<T> = T extends Date
  ? string
  : T extends (infer U)[]
    ? DatesAsStrings<U>[]
    : T extends object
      ? { [K in keyof T]: DatesAsStrings<T[K]> }
      : T;

/** One failed attempt as it travels over tRPC: `failedAt` is an ISO 8601 string. */
export type TaskErrorJSON = DatesAsStrings<TaskError>;

/**
 * A `TaskRecord` as the router sends it: every date an ISO 8601 string (tRPC without a
 * transformer would turn `Date`s into strings behind the type's back).
 *
 * `TReturn` types `returnValue` (set once the task is SUCCESSFUL) where the caller knows the
 * task, e.g. `TaskRecordJSON<TaskReturn<typeof sendWelcomeEmail>>`.
 */
export type TaskRecordJSON<TReturn = unknown> = Omit<DatesAsStrings<TaskRecord>, "returnValue"> & {
  returnValue?: TReturn | undefined;
};

/** A page of `list`, newest first. */
export interface TaskListPageJSON {
  items: TaskRecordJSON[];
  /** Pass as `cursor` for the next page; `null` on the last one. */
  nextCursor: string | null;
}

/** `stats()` over tRPC. */
export interface TaskStatsJSON {
  byStatus: Record<TaskStatus, number>;
  byQueue: { queueName: string; status: TaskStatus; count: number }[];
  /** Tasks finished per minute over the last hour, oldest first, one entry per minute (quiet minutes are zeros). */
  throughput: { minute: string; successful: number; failed: number }[];
  /** When the oldest due PENDING task became due, if any: how far behind the workers are. */
  oldestDueAt: string | null;
  /** Per queue, lag (due → start) and duration p50/p95 in ms over the last hour. */
  timings: QueueTimings[];
  /** The server's clock when the stats were read. */
  generatedAt: string;
}

function iso(date: Date | string): string {
  return date instanceof Date ? date.toISOString() : new Date(date).toISOString();
}

function isoOrNull(date: Date | string | null | undefined): string | null {
  return date === null || date === undefined ? null : iso(date);
}

/** Turns a `TaskRecord` into what the router sends. */
export function toTaskRecordJSON(record: TaskRecord): TaskRecordJSON {
  return {
    id: record.id,
    taskName: record.taskName,
    queueName: record.queueName,
    backend: record.backend,
    priority: record.priority,
    args: record.args,
    status: record.status,
    runAfter: iso(record.runAfter),
    enqueuedAt: iso(record.enqueuedAt),
    startedAt: isoOrNull(record.startedAt),
    lastAttemptedAt: isoOrNull(record.lastAttemptedAt),
    finishedAt: isoOrNull(record.finishedAt),
    attempts: record.attempts,
    maxAttempts: record.maxAttempts,
    workerIds: record.workerIds,
    returnValue: record.returnValue,
    errors: record.errors.map((error) => ({ ...error, failedAt: iso(error.failedAt) })),
    progress: record.progress,
    repeat: record.repeat,
    repeatUntil: isoOrNull(record.repeatUntil),
    uniqueKey: record.uniqueKey,
    cancelRequestedAt: isoOrNull(record.cancelRequestedAt),
    dependsOn: record.dependsOn,
    waitingOn: record.waitingOn,
    ...(record.deduplicated ? { deduplicated: true } : {}),
    verboseName: record.verboseName,
    creator: record.creator,
  };
}

const MINUTE = 60_000;

/**
 * Turns backend stats into what the router sends, with one throughput entry for each of
 * the last 60 minutes so that a chart needs no gap filling.
 */
export function toTaskStatsJSON(
  stats: {
    byStatus: Record<TaskStatus, number>;
    byQueue: { queueName: string; status: TaskStatus; count: number }[];
    throughput: { minute: Date; successful: number; failed: number }[];
    oldestDueAt: Date | null;
    timings?: QueueTimings[] | undefined;
  },
  now: Date = new Date(),
): TaskStatsJSON {
  const byMinute = new Map<number, { successful: number; failed: number }>();
  for (const point of stats.throughput) {
    const key = Math.floor(new Date(point.minute).getTime() / MINUTE) * MINUTE;
    const seen = byMinute.get(key) ?? { successful: 0, failed: 0 };
    byMinute.set(key, { successful: seen.successful + point.successful, failed: seen.failed + point.failed });
  }
  const last = Math.floor(now.getTime() / MINUTE) * MINUTE;
  const throughput: TaskStatsJSON["throughput"] = [];
  for (let minute = last - 59 * MINUTE; minute <= last; minute += MINUTE) {
    const point = byMinute.get(minute) ?? { successful: 0, failed: 0 };
    throughput.push({ minute: new Date(minute).toISOString(), ...point });
  }
  return {
    byStatus: {
      PENDING: stats.byStatus.PENDING ?? 0,
      RUNNING: stats.byStatus.RUNNING ?? 0,
      SUCCESSFUL: stats.byStatus.SUCCESSFUL ?? 0,
      FAILED: stats.byStatus.FAILED ?? 0,
    },
    byQueue: stats.byQueue,
    throughput,
    oldestDueAt: isoOrNull(stats.oldestDueAt),
    timings: stats.timings ?? [],
    generatedAt: now.toISOString(),
  };
}
