export {
  createTaskRouter,
  type TaskRouter,
  type CreateTaskRouterOptions,
  type AuthorizeRequest,
  type TaskRouterAction,
  type ExposedTask,
  type ArgsSchema,
} from "./create-task-router";
export {
  toTaskRecordJSON,
  toTaskStatsJSON,
  type TaskRecordJSON,
  type TaskErrorJSON,
  type TaskListPageJSON,
  type TaskStatsJSON,
} from "./task-record-json";
export { watchTasks, type TaskWatchEvent, type WatchInput } from "./watch-tasks";
export {
  withStreamLimit,
  DEFAULT_MAX_STREAMS,
  type StreamLimitOptions,
  type StreamLimitedHandler,
} from "./with-stream-limit";
export type { TaskChange } from "@errand/core";
export { toTRPCError, TRPC_CODE_BY_ERRAND_CODE } from "./to-trpc-error";
export { formatZodIssues, readableInput, InvalidInputError } from "./format-zod-issues";
export type { TaskStatus, TaskProgress, TaskCreator } from "@errand/core";
