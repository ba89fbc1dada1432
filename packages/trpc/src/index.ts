export {
  createTaskRouter,
  type AppProcedure,
  type CreateTaskRouterFromProcedureOptions,
  type ProcedureContext,
  type TaskRouterRecord,
} from "./create-task-router-from-procedure";
export {
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
export { type QueueJSON, type BulkActionJSON, type BulkFilterInput, type QueueProcedures } from "./queue-procedures";
export type { TaskWatchEvent, WatchInput } from "./watch-tasks";
export {
  withStreamLimit,
  DEFAULT_MAX_STREAMS,
  type StreamLimitOptions,
  type StreamLimitedHandler,
} from "./with-stream-limit";
export type { TaskChange, TaskFilter } from "@errand/core";
export { toTRPCError, TRPC_CODE_BY_ERRAND_CODE } from "./to-trpc-error";
export type { TaskStatus, TaskProgress, TaskCreator } from "@errand/core";
