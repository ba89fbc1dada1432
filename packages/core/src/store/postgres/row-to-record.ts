import type { TaskRow } from "@errand/db";
import type { TaskRecord } from "../../types";

/** A row as Postgres returns it, in the shape every backend returns. */
export function rowToRecord(row: TaskRow): TaskRecord {
  return {
    id: row.id,
    taskName: row.task_name,
    queueName: row.queue_name,
    backend: row.backend,
    priority: row.priority,
    args: row.args,
    status: row.status,
    runAfter: row.run_after,
    enqueuedAt: row.enqueued_at,
    startedAt: row.started_at,
    lastAttemptedAt: row.last_attempted_at,
    finishedAt: row.finished_at,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    workerIds: row.worker_ids,
    returnValue: row.status === "SUCCESSFUL" ? row.return_value : undefined,
    errors: row.errors.map((e) => ({ ...e, failedAt: new Date(e.failedAt) })),
    progress: row.progress_done === null ? null : { done: row.progress_done, total: row.progress_total },
    repeat: row.repeat_seconds,
    repeatUntil: row.repeat_until,
    verboseName: row.verbose_name,
    creator:
      row.creator_type !== null && row.creator_id !== null ? { type: row.creator_type, id: row.creator_id } : null,
    uniqueKey: row.unique_key,
    cancelRequestedAt: row.cancel_requested_at,
    concurrencyKey: row.concurrency_key,
    concurrencyLimit: row.concurrency_limit,
    dependsOn: row.depends_on ?? [],
    waitingOn: row.waiting_on,
    traceparent: row.traceparent,
    tracestate: row.tracestate,
  };
}
