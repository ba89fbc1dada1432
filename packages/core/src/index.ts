export {
  task,
  Task,
  defaultBackoff,
  type AnyTask,
  type TaskArgs,
  type TaskOptions,
  type TaskReturn,
  type UsingOptions,
} from "./task/task";
export type { TaskContext } from "./task/task-context";
export { Repeat, type Delay } from "./task/repeat";
export { getRegisteredTask, registeredTasks, unregisterTask } from "./task/registry";
export { runTask, TaskTimeoutError, type RunOutcome, type RunTaskOptions } from "./task/run-task";
export { MAX_PRIORITY, MIN_PRIORITY } from "./task/validate-options";

export { TaskResult } from "./result/task-result";
export {
  TASK_STATUSES,
  type TaskCreator,
  type TaskError,
  type TaskProgress,
  type TaskRecord,
  type TaskStatus,
} from "./result/task-record";
export { errorToTaskError } from "./result/error-to-task-error";

export type {
  Backend,
  DatabaseBackendLike,
  EnqueueContext,
  EnqueueRequest,
  EnqueueTransaction,
  PruneOptions,
  TaskListFilters,
  TaskListPage,
  TaskStats,
} from "./backends/backend";
export { DatabaseBackend } from "./backends/database/database-backend";
export { ImmediateBackend } from "./backends/immediate/immediate-backend";
export { DummyBackend } from "./backends/dummy/dummy-backend";
export {
  ensureEmbeddedPostgres,
  stopEmbeddedPostgres,
  embeddedHome,
  embeddedDataDir,
} from "./backends/database/embedded-postgres";
export { rowToRecord } from "./backends/database/row-to-record";
export * as queries from "./backends/database/queries/index";

export {
  configure,
  closeBackends,
  getBackend,
  getSettings,
  type BackendSettings,
  type DatabaseBackendSettings,
  type DummyBackendSettings,
  type ErrandSettings,
  type ImmediateBackendSettings,
} from "./config/configure";
export { defineConfig, type ErrandConfig } from "./config/define-config";

export { transaction } from "./transaction/index";
export { emitTaskEvent, taskEvents, type TaskEvent, type TaskEventMap } from "./events/task-events";

export { normalizeJson, type JsonValue } from "./json/normalize-json";

export {
  DoNotRetry,
  ERROR_CODES,
  ErrandError,
  isDoNotRetry,
  InvalidTask,
  InvalidTaskArgumentsError,
  InvalidTaskBackend,
  TaskNotRegistered,
  TaskResultDoesNotExist,
  TaskResultMismatch,
  toErrandError,
  type ErrorCode,
} from "./errors";
