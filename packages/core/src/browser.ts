/**
 * `@errand/core/browser`: the rules a browser shares with the server, as pure functions and
 * constants — no database, no Node built-ins — so that a UI (`@errand/react`) applies the same
 * predicates as the stores and the tRPC router without bundling them. Everything here is also
 * exported from `@errand/core`.
 *
 * @example
 * import { changeConcerns, isFinishedStatus } from "@errand/core/browser";
 */
export { FINISHED_STATUSES, isFinishedStatus, TASK_STATUSES, type FinishedStatus } from "./task/task-status";
export { changeConcerns, type TaskChange } from "./feed/task-change";
export { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from "./store/list-limit";
export type { TaskFilter, TaskStatus } from "./types";
