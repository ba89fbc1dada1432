// A repeating task's next run, as the memory store schedules it when a run succeeds: the
// same grid the Postgres store's SQL uses, so both stores agree on when it is due.
import { randomUUID } from "node:crypto";
import type { EnqueueRequest, JsonValue, TaskRecord } from "../types";
import { newTaskRecord } from "./new-task-record";

/**
 * The record of the run after `r` (a SUCCESSFUL repeating task first due at `scheduledAt`):
 * due at the first slot after `now` on the grid `scheduledAt + k × repeat`, or `undefined`
 * when that slot is past `repeatUntil`.
 *
 * @example
 * const next = repeatNextRun(record, scheduledAt, new Date());
 * if (next) store(next); // PENDING, runAfter on the grid
 */
export function repeatNextRun(r: TaskRecord, scheduledAt: Date, now: Date): TaskRecord | undefined {
  const every = r.repeat! * 1000;
  const elapsed = Math.max(now.getTime() - scheduledAt.getTime(), 0);
  const nextAt = new Date(scheduledAt.getTime() + every * (Math.floor(elapsed / every) + 1));
  if (r.repeatUntil && nextAt > r.repeatUntil) return undefined;
  const request: EnqueueRequest = {
    taskName: r.taskName,
    args: structuredClone(r.args) as JsonValue[],
    queueName: r.queueName,
    priority: r.priority,
    runAfter: nextAt,
    maxAttempts: r.maxAttempts,
    repeat: r.repeat,
    repeatUntil: r.repeatUntil,
    uniqueKey: null,
    dependsOn: [],
    verboseName: r.verboseName,
    creator: r.creator && { ...r.creator },
  };
  return newTaskRecord(request, { id: randomUUID(), backend: r.backend, enqueuedAt: now, runAfter: nextAt });
}
