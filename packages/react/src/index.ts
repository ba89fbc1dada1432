export { ErrandProvider, useErrandTRPC, useErrandClient, type ErrandProviderProps } from "./errand-provider";
export { createErrandClient, type ErrandClientOptions, type ErrandTransformer } from "./create-errand-client";
export { useTaskResult, isFinishedStatus, type UseTaskResultOptions } from "./hooks/use-task-result";
export { useTaskList, type TaskListFilters, type UseTaskListOptions } from "./hooks/use-task-list";
export { useTaskStats } from "./hooks/use-task-stats";
export { useTaskActions } from "./hooks/use-task-actions";
export { useTaskFeed, useLiveStatus, type TaskFeedState } from "./live/task-feed";
export { TaskStatusBadge, type TaskStatusBadgeProps } from "./components/task-status-badge";
export { TaskProgressBar, type TaskProgressBarProps } from "./components/task-progress-bar";
export { TaskTable, type TaskTableProps } from "./components/task-table";
export { TaskDetail, type TaskDetailProps } from "./components/task-detail";
export { TaskStatsCards, type TaskStatsCardsProps } from "./components/task-stats-cards";
export { ThroughputChart, type ThroughputChartProps } from "./components/throughput-chart";
export { LiveIndicator, type LiveIndicatorProps } from "./components/live-indicator";
export { TaskDashboard, type TaskDashboardProps } from "./components/task-dashboard";
export { formatDuration, formatRelative, formatTimestamp } from "./format";
export type {
  TaskRecordJSON,
  TaskStatsJSON,
  TaskListPageJSON,
  TaskErrorJSON,
  TaskWatchEvent,
  TaskChange,
} from "@errand/trpc";
