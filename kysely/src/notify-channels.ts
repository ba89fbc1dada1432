/**
 * The NOTIFY channels of Errand's schema, in one place: the triggers of the migrations send on
 * some (a migration keeps its own literal, since it is frozen in time), core's queries on the
 * others, and the worker and the push feed LISTEN on them. `kysely/test/schema-literals.test.ts`
 * checks that the checked-in schema sends on these and no other.
 *
 * @example
 * await client.query(`LISTEN ${ENQUEUE_CHANNEL}`);
 */

/**
 * Sent by the insert trigger (migration 0001) once per statement and queue, and when a task's
 * last dependency succeeds (migration 0007), with the queue name: idle workers wake up.
 */
export const ENQUEUE_CHANNEL = "errand_tasks";

/** Sent by `taskCancel` with the id of a RUNNING task whose cancel was asked for: its worker aborts it. */
export const CANCEL_CHANNEL = "errand_cancel";

/** Sent by the task table's triggers with each small statement's changes (migration 0005): the push feed. */
export const TASK_CHANGES_CHANNEL = "errand_task_changes";

/** Sent by `pauseQueue` / `resumeQueue` with the queue name (migration 0006): workers re-read the paused queues. */
export const QUEUES_CHANNEL = "errand_queues";
