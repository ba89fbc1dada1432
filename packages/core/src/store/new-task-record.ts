import type { EnqueueRequest, TaskRecord } from "../types";

/**
 * The record of a task just stored: what the caller asked for, plus what the store chose
 * (id, times). Every backend builds its enqueue results with it.
 */
export function newTaskRecord(
  request: EnqueueRequest,
  stored: { id: string; backend: string; enqueuedAt: Date; runAfter: Date; waitingOn?: number },
): TaskRecord {
  return {
    id: stored.id,
    taskName: request.taskName,
    queueName: request.queueName,
    backend: stored.backend,
    priority: request.priority,
    args: request.args,
    status: "PENDING",
    runAfter: stored.runAfter,
    enqueuedAt: stored.enqueuedAt,
    startedAt: null,
    lastAttemptedAt: null,
    finishedAt: null,
    attempts: 0,
    maxAttempts: request.maxAttempts,
    workerIds: [],
    returnValue: undefined,
    errors: [],
    progress: null,
    repeat: request.repeat,
    repeatUntil: request.repeatUntil,
    verboseName: request.verboseName,
    creator: request.creator,
    uniqueKey: request.uniqueKey,
    cancelRequestedAt: null,
    concurrencyKey: request.concurrencyKey ?? null,
    concurrencyLimit: request.concurrencyKey ? (request.concurrencyLimit ?? 1) : null,
    dependsOn: request.dependsOn,
    waitingOn: stored.waitingOn ?? 0,
    traceparent: request.traceparent ?? null,
    tracestate: request.tracestate ?? null,
  };
}
