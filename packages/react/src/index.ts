export { ErrandProvider, useErrandTRPC, useErrandClient, type ErrandProviderProps } from "./errand-provider";
export { createErrandClient, type ErrandClientOptions, type ErrandTransformer } from "./create-errand-client";
export { useTaskResult, type UseTaskResultOptions } from "./hooks/use-task-result";
export { isFinishedStatus } from "@errand/core/browser";
export { useTaskList, type TaskFilter, type UseTaskListOptions } from "./hooks/use-task-list";
export { useTaskStats } from "./hooks/use-task-stats";
export { useTaskActions } from "./hooks/use-task-actions";
export { useQueues } from "./hooks/use-queues";
export { useQueueActions } from "./hooks/use-queue-actions";
export { useTaskDependents } from "./hooks/use-task-dependents";
export { useTaskFeed, useLiveStatus, type TaskFeedState } from "./live/task-feed";
export { TaskStatusBadge, type TaskStatusBadgeProps } from "./components/task-status-badge";
export { TaskProgressBar, type TaskProgressBarProps } from "./components/task-progress-bar";
export { TaskTable, type TaskTableProps } from "./components/task-table";
export { TaskDetail, type TaskDetailProps } from "./components/task-detail";
export { TaskStatsCards, type TaskStatsCardsProps } from "./components/task-stats-cards";
export { ThroughputChart, type ThroughputChartProps } from "./components/throughput-chart";
export { QueueTimingsTable, type QueueTimingsTableProps } from "./components/queue-timings-table";
export { LiveIndicator, type LiveIndicatorProps } from "./components/live-indicator";
export { TaskDashboard, type TaskDashboardProps } from "./components/task-dashboard";
export { QueuesPanel, type QueuesPanelProps } from "./components/queues-panel";
export { QueueList, formatRateLimit, type QueueListProps } from "./components/queue-list";
export { BulkActions, type BulkActionsProps } from "./components/bulk-actions";
export { ConfirmDialog, type ConfirmDialogProps } from "./components/confirm-dialog";
export { formatDuration, formatRelative, formatTimestamp } from "./format";
export type {
  TaskRecordJSON,
  TaskStatsJSON,
  TaskListPageJSON,
  TaskErrorJSON,
  TaskWatchEvent,
  TaskChange,
  QueueJSON,
  BulkActionJSON,
} from "@errand/trpc";
