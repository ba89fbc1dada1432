export type {
  Database,
  MaintenanceTable,
  NewTaskRow,
  QueueStartTable,
  QueueTable,
  ScheduleTickTable,
  TaskErrorRow,
  TaskRow,
  TaskRowUpdate,
  TaskStatus,
  TaskDependencyTable,
  TaskTable,
} from "./database";
export { TASK_COLUMNS, type TaskColumn } from "./task-columns";
export {
  MAX_BACKEND_ALIAS_LENGTH,
  MAX_CONCURRENCY_KEY_LENGTH,
  MAX_DEPENDENCIES,
  MAX_PRIORITY,
  MAX_QUEUE_NAME_LENGTH,
  MAX_TASK_NAME_LENGTH,
  MAX_UNIQUE_KEY_LENGTH,
  MAX_WORKER_ID_LENGTH,
  MIN_PRIORITY,
} from "./task-limits";
export { migrate, MIGRATION_TABLE } from "./migrate";
export { migrations } from "./migrations/index";

/** The channel the task table's triggers NOTIFY with each change (see migration 0005). */
export const TASK_CHANGES_CHANNEL = "errand_task_changes";

/** The channel `pauseQueue` / `resumeQueue` NOTIFY, with the queue name (see migration 0006). */
export const QUEUES_CHANNEL = "errand_queues";
