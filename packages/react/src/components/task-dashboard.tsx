"use client";

import { QueueTimingsTable } from "./queue-timings-table";
import { useEffect, useId, useMemo, useRef, useState } from "react";
import type { TaskStatus } from "@errand/trpc";
import { useQueues } from "../hooks/use-queues";
import { useTaskActions } from "../hooks/use-task-actions";
import { useTaskDependents } from "../hooks/use-task-dependents";
import { useTaskList, type TaskFilter } from "../hooks/use-task-list";
import { useTaskResult } from "../hooks/use-task-result";
import { useTaskStats } from "../hooks/use-task-stats";
import { BulkActions } from "./bulk-actions";
import { LiveIndicator } from "./live-indicator";
import { QueuesPanel } from "./queues-panel";
import { TaskDetail } from "./task-detail";
import { TaskStatsCards } from "./task-stats-cards";
import { TaskTable } from "./task-table";
import { ThroughputChart } from "./throughput-chart";

export interface TaskDashboardProps {
  /**
   * Milliseconds between polls while the push stream is down (it is the fallback: live, the
   * dashboard updates on each change). Default: the provider's `pollInterval`, else 2000
   * (the open task: 1000).
   */
  refreshInterval?: number | undefined;
  /** The open task, when you keep it in the URL; uncontrolled otherwise. */
  selectedId?: string | null | undefined;
  onSelectedIdChange?: ((id: string | null) => void) | undefined;
  /** Initial filters. */
  defaultFilters?: TaskFilter | undefined;
  /** Rows per page. Default `useTaskList`'s, 25. */
  pageSize?: number | undefined;
  /**
   * Show the Queues panel (pause/resume, depth, limits) and the bulk "Retry N failed" /
   * "Cancel N pending" of the current filter. Default true.
   */
  showQueues?: boolean | undefined;
}

const STATUSES: TaskStatus[] = ["PENDING", "RUNNING", "SUCCESSFUL", "FAILED"];

/**
 * The whole status page: counts, the last hour's throughput, filters, the task table and a
 * detail panel with cancel and retry. Live: updated on each change through the provider's
 * push stream, polling while the stream is down (the header says which).
 *
 * @example
 * <ErrandProvider url="/api/trpc"><TaskDashboard /></ErrandProvider>
 */
export function TaskDashboard({
  refreshInterval,
  selectedId: controlledId,
  onSelectedIdChange,
  defaultFilters = {},
  pageSize,
  showQueues = true,
}: TaskDashboardProps) {
  const [filters, setFilters] = useState<TaskFilter>(defaultFilters);
  const [taskNameDraft, setTaskNameDraft] = useState(defaultFilters.taskName ?? "");
  const [ownSelectedId, setOwnSelectedId] = useState<string | null>(null);
  const selectedId = controlledId !== undefined ? controlledId : ownSelectedId;
  // Where focus was when the panel opened, to give it back when the panel closes.
  const opener = useRef<HTMLElement | null>(null);
  const focusPanel = useRef(false);
  const select = (id: string | null) => {
    if (id) {
      opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      focusPanel.current = true;
    } else {
      const back = opener.current;
      opener.current = null;
      if (back?.isConnected) setTimeout(() => back.focus(), 0);
    }
    if (controlledId === undefined) setOwnSelectedId(id);
    onSelectedIdChange?.(id);
  };

  // Typing in the task name box filters once the user pauses.
  useEffect(() => {
    const timer = setTimeout(() => setFilters((f) => ({ ...f, taskName: taskNameDraft.trim() || undefined })), 300);
    return () => clearTimeout(timer);
  }, [taskNameDraft]);

  const stats = useTaskStats({ refetchInterval: refreshInterval });
  const list = useTaskList(filters, { limit: pageSize, refetchInterval: refreshInterval });
  const detail = useTaskResult(selectedId, {
    refetchInterval: refreshInterval === undefined ? undefined : Math.min(1000, refreshInterval),
  });
  const queues = useQueues({ refetchInterval: refreshInterval, enabled: showQueues });
  const { cancel, retry } = useTaskActions();
  const unblocks = useTaskDependents(selectedId, detail.result?.status);
  // Move keyboard and screen-reader users into the panel once its task has loaded.
  const detailLoaded = Boolean(detail.result);
  useEffect(() => {
    if (!selectedId || !detailLoaded || !focusPanel.current) return;
    focusPanel.current = false;
    document.getElementById(`task-${selectedId}-title`)?.focus();
  }, [selectedId, detailLoaded]);
  const [actionError, setActionError] = useState<string | null>(null);
  useEffect(() => setActionError(null), [selectedId]);

  const queueNames = useMemo(
    () => [...new Set((stats.data?.byQueue ?? []).map((q) => q.queueName))].sort(),
    [stats.data?.byQueue],
  );
  const taskNames = useMemo(() => [...new Set(list.items.map((t) => t.taskName))].sort(), [list.items]);

  // Escape closes the panel (it is a sheet over the page on narrow screens).
  useEffect(() => {
    if (!selectedId) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") select(null);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  });

  const ids = { status: useId(), queue: useId(), task: useId(), names: useId() };
  const filtered = Boolean(filters.status || filters.queueName || filters.taskName);
  const error = stats.error ?? list.error;

  return (
    <div data-errand="" className="space-y-6">
      <LiveIndicator pollInterval={refreshInterval} className="flex justify-end" />
      {error ? (
        <div
          role="alert"
          className="rounded-lg border border-rose-200 bg-rose-50 px-4 py-3 text-sm text-rose-800 dark:border-rose-500/30 dark:bg-rose-500/10 dark:text-rose-200"
        >
          Could not load tasks: {error.message}
        </div>
      ) : null}

      <TaskStatsCards
        stats={stats.data}
        activeStatus={filters.status}
        onStatusClick={(status) => setFilters((f) => ({ ...f, status: f.status === status ? undefined : status }))}
      />

      <section className="rounded-xl border border-zinc-200 bg-white p-4 shadow-sm dark:border-zinc-800 dark:bg-zinc-900">
        <ThroughputChart throughput={stats.data?.throughput ?? []} />
      </section>

      <section className="rounded-xl border border-zinc-200 bg-white p-4 shadow-sm dark:border-zinc-800 dark:bg-zinc-900">
        <QueueTimingsTable timings={stats.data?.timings ?? []} />
      </section>

      <div className="grid gap-6 lg:grid-cols-5">
        <section aria-label="Tasks" className="min-w-0 space-y-3 lg:col-span-3">
          <form role="search" className="flex flex-wrap items-end gap-3" onSubmit={(event) => event.preventDefault()}>
            <div className="flex min-w-[8rem] flex-1 flex-col gap-1 sm:flex-none">
              <label htmlFor={ids.status} className="text-xs font-medium text-zinc-600 dark:text-zinc-400">
                Status
              </label>
              <select
                id={ids.status}
                value={filters.status ?? ""}
                onChange={(event) =>
                  setFilters((f) => ({ ...f, status: (event.target.value || undefined) as TaskStatus | undefined }))
                }
                className="h-9 rounded-md border border-zinc-300 bg-white px-2 text-sm dark:border-zinc-700 dark:bg-zinc-900"
              >
                <option value="">Any status</option>
                {STATUSES.map((s) => (
                  <option key={s} value={s}>
                    {s.charAt(0) + s.slice(1).toLowerCase()}
                  </option>
                ))}
              </select>
            </div>
            <div className="flex min-w-[8rem] flex-1 flex-col gap-1 sm:flex-none">
              <label htmlFor={ids.queue} className="text-xs font-medium text-zinc-600 dark:text-zinc-400">
                Queue
              </label>
              <select
                id={ids.queue}
                value={filters.queueName ?? ""}
                onChange={(event) => setFilters((f) => ({ ...f, queueName: event.target.value || undefined }))}
                className="h-9 rounded-md border border-zinc-300 bg-white px-2 text-sm dark:border-zinc-700 dark:bg-zinc-900"
              >
                <option value="">Any queue</option>
                {queueNames.map((q) => (
                  <option key={q} value={q}>
                    {q}
                  </option>
                ))}
              </select>
            </div>
            <div className="flex min-w-[12rem] flex-[2] flex-col gap-1">
              <label htmlFor={ids.task} className="text-xs font-medium text-zinc-600 dark:text-zinc-400">
                Task name
              </label>
              <input
                id={ids.task}
                type="search"
                list={ids.names}
                value={taskNameDraft}
                onChange={(event) => setTaskNameDraft(event.target.value)}
                placeholder="e.g. demo.add"
                autoComplete="off"
                className="h-9 rounded-md border border-zinc-300 bg-white px-2.5 text-sm dark:border-zinc-700 dark:bg-zinc-900"
              />
              <datalist id={ids.names}>
                {taskNames.map((name) => (
                  <option key={name} value={name} />
                ))}
              </datalist>
            </div>
            {filtered ? (
              <button
                type="button"
                onClick={() => {
                  setFilters({});
                  setTaskNameDraft("");
                }}
                className="h-9 rounded-md px-3 text-sm font-medium text-zinc-600 hover:bg-zinc-100 dark:text-zinc-400 dark:hover:bg-zinc-800"
              >
                Clear filters
              </button>
            ) : null}
            <span aria-live="polite" className="ml-auto self-center text-xs text-zinc-500 dark:text-zinc-400">
              {list.isFetching ? "Refreshing…" : `${list.items.length} shown`}
            </span>
          </form>
          {showQueues ? (
            <BulkActions
              filters={filters}
              queues={queues.data}
              exactCounts={
                // With a task name filter the queue counts do not apply; a fully loaded list does.
                filters.taskName && !list.hasNextPage && !list.isPlaceholderData
                  ? filters.status === "FAILED"
                    ? { failed: list.items.length }
                    : filters.status === "PENDING"
                      ? { pending: list.items.length }
                      : undefined
                  : undefined
              }
            />
          ) : null}
          <TaskTable
            items={list.items}
            selectedId={selectedId}
            onSelect={(task) => select(task.id === selectedId ? null : task.id)}
            isLoading={list.isLoading}
            emptyMessage={
              filtered ? "No tasks match these filters." : "No tasks yet. Enqueue one from your app or the demo page."
            }
            hasNextPage={list.hasNextPage}
            isFetchingNextPage={list.isFetchingNextPage}
            onLoadMore={() => void list.fetchNextPage()}
          />
        </section>

        <aside aria-label="Task details" className="min-w-0 lg:col-span-2">
          {selectedId ? (
            <div
              className="fixed inset-0 z-50 overflow-y-auto bg-zinc-950/40 p-3 pt-16 backdrop-blur-sm lg:sticky lg:inset-auto lg:top-20 lg:z-auto lg:max-h-[calc(100dvh-6rem)] lg:bg-transparent lg:p-0 lg:backdrop-blur-none"
              onClick={(event) => {
                if (event.target === event.currentTarget) select(null);
              }}
            >
              {detail.result ? (
                <TaskDetail
                  task={detail.result}
                  busy={cancel.isPending || retry.isPending}
                  actionError={actionError}
                  onClose={() => select(null)}
                  dependents={unblocks.data}
                  onOpenTask={(id) => select(id)}
                  onCancel={(task) =>
                    cancel.mutate(
                      { id: task.id },
                      { onSuccess: () => void detail.refetch(), onError: (e) => setActionError(e.message) },
                    )
                  }
                  onRetry={(task) =>
                    retry.mutate(
                      { id: task.id },
                      { onSuccess: () => void detail.refetch(), onError: (e) => setActionError(e.message) },
                    )
                  }
                />
              ) : (
                <div className="rounded-xl border border-zinc-200 bg-white p-6 text-sm text-zinc-500 shadow-sm dark:border-zinc-800 dark:bg-zinc-900 dark:text-zinc-400">
                  {detail.error ? `Could not load this task: ${detail.error.message}` : "Loading task…"}
                </div>
              )}
            </div>
          ) : (
            <div className="hidden rounded-xl border border-dashed border-zinc-300 p-6 text-center text-sm text-zinc-500 lg:block dark:border-zinc-700 dark:text-zinc-400">
              Select a task to see its arguments, attempts, timings and errors.
            </div>
          )}
        </aside>
      </div>

      {showQueues ? <QueuesPanel refreshInterval={refreshInterval} /> : null}
    </div>
  );
}
