/**
 * What the worker, the CLI and Errand's own packages need beyond the public API: the task
 * stores (the state machine) and, beneath the Postgres one, the query functions; row
 * mapping, running one attempt, the task registry and event emission. Not covered by
 * semver: apps import from `@errand/core`.
 */
export type {
  TaskBulkParams,
  TaskClaimBatchParams,
  TaskClaimFlow,
  TaskCompleteParams,
  TaskFailParams,
  TaskInsertParams,
  TaskOutcomeBrief,
  TaskPruneOptions,
  TaskRetentionParams,
  RetentionBatch,
  TaskStore,
} from "./store/task-store";
export { MemoryTaskStore } from "./store/memory-task-store";
export { PostgresTaskStore } from "./store/postgres/postgres-task-store";
export { taskCancelledError } from "./store/task-cancelled-error";
export { mayRetry, toErrandError } from "./errors";
export type { EnqueueRequest } from "./types";
export { validateQueueSettings } from "./config/queue-settings";
export {
  checkOptions,
  invalidOption,
  unknownOptions,
  type OptionPath,
  type OptionSurface,
} from "./options/check-options";
export { describeOption, optionProblem, showValue } from "./options/describe-option";
export type { OptionKind, OptionRule, OptionTable } from "./options/option-rule";
export { QUEUE_NAME_RULE, TASK_NAME_RULE } from "./options/shared-rules";
export {
  BACKEND_OPTIONS,
  CONFIG_OPTIONS,
  CONFIGURE_SURFACE,
  QUEUE_OPTIONS,
  RETENTION_OPTIONS,
  RETENTION_RULE,
  SCHEDULE_OPTIONS,
  SCHEDULES_RULE,
} from "./config/config-options";
export { TASK_OPTIONS, USING_OPTIONS } from "./task/task-options";
export { isFlowLimited, limitedQueueNames } from "./store/claim-flow";
export { CLAIM_ORDER_COLUMNS, claimOrderBy, compareClaimOrder, type ClaimOrderKey } from "./store/claim-order";
export { getRegisteredTask, registeredTasks, unregisterTask } from "./task/registry";
export { runTask, type RunOutcome, type RunTaskOptions } from "./task/run-task";
export { LazyAbort } from "./task/lazy-abort";
export { errorToTaskError } from "./result/error-to-task-error";
export { rowToRecord } from "./store/postgres/row-to-record";
export * as queries from "./store/postgres/index";
export { emitTaskEvent } from "./events/task-events";
export { normalizeJson } from "./json/normalize-json";
export { loadEmbedded, type EmbeddedModule } from "./backends/database/load-embedded";
export {
  NotifyConnection,
  probeThrough,
  type NotifyConnectionOptions,
  type NotifyLogger,
  type NotifySession,
} from "./feed/notify-connection";
export { TaskChangeFeed, type TaskChangeFeedOptions, type TaskChangeFeedTarget } from "./feed/task-change-feed";
export { activeSpanIds, telemetryReady } from "./telemetry/otel-api";
export { RunSpan, type RunSpanOutcome } from "./telemetry/run-span";
export {
  addQueueDepthSource,
  metricsActive,
  recordFinished,
  recordQueueLag,
  type FinishedTask,
  type QueueDepth,
} from "./telemetry/errand-metrics";
export { prometheusMetrics, type PrometheusMetrics } from "./telemetry/prometheus-metrics";
