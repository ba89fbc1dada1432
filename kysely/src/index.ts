export type { Database, NewTaskRow, TaskErrorRow, TaskRow, TaskRowUpdate, TaskStatus, TaskTable } from "./database";
export { migrate, MIGRATION_TABLE } from "./migrate";
export { migrations } from "./migrations/index";
