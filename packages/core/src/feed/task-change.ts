import type { TaskStatus } from "@errand/db";
import type { TaskFilter } from "../types";

/** One task whose status, progress or cancel request changed, as the push feed tells it. */
export interface TaskChange {
  id: string;
  status: TaskStatus;
  /** `null` when the task was just stored. */
  previousStatus: TaskStatus | null;
  queueName: string;
  taskName: string;
}

/**
 * Whether a change can alter a list with these filters: the task matches the queue and task
 * name filters, and it is in the status filtered on or has just left it (it drops out of that
 * list). An empty filter concerns every change. The tRPC `watch` subscription and the React
 * hooks filter with it (the browser through `@errand/core/browser`).
 *
 * @example
 * changeConcerns({ id, status: "RUNNING", previousStatus: "PENDING", queueName: "email", taskName: "send" }, { status: "PENDING" }); // true
 */
export function changeConcerns(change: TaskChange, filter: TaskFilter): boolean {
  if (filter.queueName && change.queueName !== filter.queueName) return false;
  if (filter.taskName && change.taskName !== filter.taskName) return false;
  return !filter.status || change.status === filter.status || change.previousStatus === filter.status;
}

/**
 * What the push feed sends to a subscriber.
 * - `changes`: these tasks changed (one statement's worth, or part of one).
 * - `resync`: tasks changed that the feed does not list (`overflow`: a statement changed more
 *   than `MAX_LISTED_CHANGES` tasks, read within 250 ms; `deleted`: tasks were pruned; `reconnected`: the feed was down and may
 *   have missed changes): refetch what you show.
 * - `interrupted`: the feed's connection dropped; until a `resync` with `reconnected`, changes
 *   are missed (poll meanwhile).
 */
export type TaskChangeEvent =
  | { type: "changes"; changes: TaskChange[] }
  | { type: "resync"; reason: "overflow" | "deleted" | "reconnected" }
  | { type: "interrupted" };

/** Called with every event of the push feed, in order. Must not throw. */
export type TaskChangeListener = (event: TaskChangeEvent) => void;

/** Stops a subscription to the push feed. */
export type Unsubscribe = () => void;
