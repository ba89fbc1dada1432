import type { Migration } from "kysely";
import { createTasks } from "./0001-create-tasks";
import { schedulesUniqueKeysCancelRetention } from "./0003-schedules-unique-keys-cancel-retention";
import { taskCounts } from "./0004-task-counts";
import { taskChangeFeed } from "./0005-task-change-feed";
import { flowControl } from "./0006-flow-control";
import { taskDependencies } from "./0007-task-dependencies";
import { traceContext } from "./0008-trace-context";
import { taskTimingsFromOutcomes } from "./0009-task-timings-from-outcomes";

/** Every migration, by name; names sort in the order they run. */
export const migrations: Record<string, Migration> = {
  "0001-create-tasks": createTasks,
  "0003-schedules-unique-keys-cancel-retention": schedulesUniqueKeysCancelRetention,
  "0004-task-counts": taskCounts,
  "0005-task-change-feed": taskChangeFeed,
  "0006-flow-control": flowControl,
  "0007-task-dependencies": taskDependencies,
  "0008-trace-context": traceContext,
  "0009-task-timings-from-outcomes": taskTimingsFromOutcomes,
};
