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
export { CANCEL_CHANNEL, ENQUEUE_CHANNEL, QUEUES_CHANNEL, TASK_CHANGES_CHANNEL } from "./notify-channels";
export { FEED_LISTENER_EXPIRY_SECONDS, MAX_LISTED_CHANGES } from "./task-change-feed-tunables";
