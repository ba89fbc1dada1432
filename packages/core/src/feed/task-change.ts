import type { TaskStatus } from "@errand/db";

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
