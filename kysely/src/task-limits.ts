/**
 * The limits of a task row, in one place: core validates with them, the worker, its CLI,
 * the tRPC router and the demo build their checks and messages from them, and the
 * migration enforces them in the database (`varchar(32)`, CHECK constraints). The
 * migration keeps its own literals, since a migration is frozen in time;
 * `kysely/test/task-limits.test.ts` checks that the database and these agree.
 *
 * @example
 * z.number().int().min(MIN_PRIORITY).max(MAX_PRIORITY)
 */

/** Lowest priority (`errand_tasks_priority_range`). */
export const MIN_PRIORITY = -100;
/** Highest priority; higher runs first. */
export const MAX_PRIORITY = 100;
/** Longest queue name (`queue_name varchar(32)`, as django-tasks' database backend). */
export const MAX_QUEUE_NAME_LENGTH = 32;
/** Longest backend alias (`backend varchar(32)`). */
export const MAX_BACKEND_ALIAS_LENGTH = 32;
/** Longest task name (`errand_tasks_task_name_length`). */
export const MAX_TASK_NAME_LENGTH = 255;
/** Longest worker id (stored in `worker_ids` and `locked_by`). */
export const MAX_WORKER_ID_LENGTH = 64;
/** Longest unique key (`errand_tasks_unique_key_length`). */
export const MAX_UNIQUE_KEY_LENGTH = 255;
/** Longest concurrency key (`errand_tasks_concurrency_key_valid`). */
export const MAX_CONCURRENCY_KEY_LENGTH = 255;
/** Most tasks one task may depend on (`errand_tasks_depends_on_size`). */
export const MAX_DEPENDENCIES = 1000;
