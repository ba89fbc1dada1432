/**
 * Errand's public API: define tasks, enqueue them, follow their results.
 * What only the worker needs (queries, row mapping, runTask, the registry) is in
 * `@errand/core/internal`.
 *
 * @example
 * import { task } from "@errand/core";
 * export const sendWelcomeEmail = task({ name: "accounts.sendWelcomeEmail" }, async (userId: number) => ({ sent: true }));
 * const result = await sendWelcomeEmail.enqueue(42);
 */
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
export { TaskTimeoutError } from "./task/run-task";
/** The limits of a task row (one source, in `@errand/db`), for building forms and schemas. */
export {
  MAX_BACKEND_ALIAS_LENGTH,
  MAX_DEPENDENCIES,
  MAX_PRIORITY,
  MAX_QUEUE_NAME_LENGTH,
  MAX_TASK_NAME_LENGTH,
  MAX_UNIQUE_KEY_LENGTH,
  MAX_WORKER_ID_LENGTH,
  MIN_PRIORITY,
} from "@errand/db";

export { TaskResult } from "./result/task-result";
export { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from "./store/list-limit";
export { FINISHED_STATUSES, isFinishedStatus, TASK_STATUSES, type FinishedStatus } from "./task/task-status";
export {
  type TaskCreator,
  type TaskDependency,
  type TaskDependent,
  type TaskError,
  type TaskProgress,
  type TaskRecord,
  type TaskStatus,
} from "./types";

export type {
  BulkTaskFilter,
  EnqueueContext,
  EnqueueTransaction,
  JsonValue,
  PruneOptions,
  TaskFilter,
  QueueInfo,
  QueueRateLimit,
  QueueSettings,
  TaskListFilters,
  TaskListPage,
  TaskRecordSource,
  TaskStats,
  QueueTimings,
  TimingPercentiles,
} from "./types";
export type { Backend, DatabaseBackendLike } from "./backends/backend";
/** What `Backend.enqueue` is given: one validated task row to store (public for backends of your own). */
export type { EnqueueRequest } from "./types";
export {
  changeConcerns,
  type TaskChange,
  type TaskChangeEvent,
  type TaskChangeListener,
  type Unsubscribe,
} from "./feed/task-change";
export { DatabaseBackend } from "./backends/database/database-backend";
export { ImmediateBackend } from "./backends/immediate/immediate-backend";
export { DummyBackend } from "./backends/dummy/dummy-backend";
export { BaseBackend, type BackendOptions } from "./backends/base-backend";
export type { BackendClass, BackendFactory, CustomBackendSettings } from "./backends/custom/custom-backend-settings";
/** The PENDING record of a request just stored, for backends of your own to return from `enqueue`. */
export { newTaskRecord } from "./store/new-task-record";

export {
  configure,
  closeBackends,
  getBackend,
  getSettings,
  type BackendSettings,
  type ErrandSettings,
} from "./config/configure";
export type { DatabaseBackendSettings } from "./backends/database/database-backend-settings";
export type { ImmediateBackendSettings } from "./backends/immediate/immediate-backend-settings";
export type { DummyBackendSettings } from "./backends/dummy/dummy-backend-settings";
export {
  defineConfig,
  type ErrandConfig,
  type RetentionSettings,
  type ScheduleDefinition,
} from "./config/define-config";

export { transaction } from "./transaction/index";
export { taskEvents, type TaskEvent, type TaskEventMap } from "./events/task-events";

export {
  DependencyFailed,
  DoNotRetry,
  TaskCancelled,
  ERROR_CODES,
  ErrandError,
  isDoNotRetry,
  InvalidArgument,
  InvalidConfig,
  InvalidTask,
  InvalidTaskArgumentsError,
  InvalidTaskBackend,
  TaskNotRegistered,
  TaskResultDoesNotExist,
  TaskResultMismatch,
  UniqueKeyContended,
  type ErrorCode,
} from "./errors";

export {
  createMetricsHandler,
  type MetricsHandler,
  type MetricsHandlerOptions,
  type NodeMetricsResponse,
} from "./telemetry/metrics-handler";
