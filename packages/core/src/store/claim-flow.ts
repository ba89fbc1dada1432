import type { QueueSettings, TaskRecord } from "../types";
import type { TaskClaimBatchParams } from "./task-store";

/**
 * A rate-limited start is counted over its period plus this margin: the window is kept at
 * claim time, and a task claimed for a free slot starts in the worker a few milliseconds
 * later, so starts a period apart at claim time could land a little under a period apart.
 */
export const RATE_LIMIT_MARGIN_MS = 100;

/** The queues of `flow` that carry a limit (concurrency or rate). */
export function limitedQueueNames(flow: TaskClaimBatchParams["flow"]): string[] {
  if (!flow) return [];
  return Object.entries(flow.queues)
    .filter(([, s]) => s.concurrency !== undefined || s.rateLimit !== undefined)
    .map(([name]) => name)
    .sort();
}

/**
 * Whether a claim must go through the limited path for this task: its queue has a limit,
 * or it has a concurrency key. Such tasks are claimed only for free slots.
 */
export function isFlowLimited(
  record: Pick<TaskRecord, "queueName" | "concurrencyKey">,
  limited: ReadonlySet<string>,
): boolean {
  return (record.concurrencyKey ?? null) !== null || limited.has(record.queueName);
}

/** What the limited claim may still take of a queue: the smaller of its concurrency and rate room. */
export function queueRoom(settings: QueueSettings | undefined, running: number, startsInWindow: number): number {
  let room = Infinity;
  if (settings?.concurrency !== undefined) room = Math.min(room, settings.concurrency - running);
  if (settings?.rateLimit !== undefined) room = Math.min(room, settings.rateLimit.limit - startsInWindow);
  return Math.max(0, room);
}
