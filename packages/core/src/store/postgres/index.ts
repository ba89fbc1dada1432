export { isUuid, type Executor } from "./executor";
export { CANCEL_CHANNEL, taskCancel, taskCancelRequested } from "./task-cancel";
export { taskClaimBatch } from "./task-claim-batch";
export { taskComplete } from "./task-complete";
export { taskCountsCompact } from "./task-counts-compact";
export { taskFail } from "./task-fail";
export { taskGet } from "./task-get";
export { taskInsert, type InsertedTask, type TaskInsertRow } from "./task-insert";
export { taskList, type TaskListParams } from "./task-list";
export { taskPrune, type TaskPruneParams } from "./task-prune";
export { taskRelease } from "./task-release";
export { taskRetentionPrune, type RetentionBatch } from "./task-retention-prune";
export { RENEW_LEASE_SQL, taskRenewLease } from "./task-renew-lease";
export { taskRescueExpired } from "./task-rescue-expired";
export { taskRetry } from "./task-retry";
export { taskSetProgress } from "./task-set-progress";
export { taskStats, type TaskStatsRows } from "./task-stats";
// The params of the state-machine queries are the TaskStore's own.
export type { TaskClaimBatchParams, TaskCompleteParams, TaskFailParams } from "../task-store";
