"use client";

import type { TaskRecordJSON } from "@errand/trpc";
import { between, formatDuration, formatJsonInline, formatRelative, formatTimestamp, shortId } from "../format";
import { TaskProgressBar } from "./task-progress-bar";
import { TaskStatusBadge } from "./task-status-badge";

export interface TaskTableProps {
  items: readonly TaskRecordJSON[];
  /** The row shown as selected. */
  selectedId?: string | null | undefined;
  /** Called when a row is chosen by click, Enter or Space. */
  onSelect?: ((task: TaskRecordJSON) => void) | undefined;
  isLoading?: boolean | undefined;
  /** Shown when there are no rows. */
  emptyMessage?: string | undefined;
  hasNextPage?: boolean | undefined;
  isFetchingNextPage?: boolean | undefined;
  onLoadMore?: (() => void) | undefined;
  caption?: string | undefined;
}

/**
 * Tasks as a table: name, status, queue, attempts, timing and arguments. Narrow screens
 * keep the name, status and time. Each row opens with its name button, so keyboard users
 * reach every task with Tab.
 *
 * @example <TaskTable items={items} selectedId={id} onSelect={(t) => setId(t.id)} />
 */
export function TaskTable({
  items,
  selectedId,
  onSelect,
  isLoading,
  emptyMessage = "No tasks yet.",
  hasNextPage,
  isFetchingNextPage,
  onLoadMore,
  caption = "Tasks, newest first",
}: TaskTableProps) {
  const now = Date.now();
  return (
    <div
      data-errand=""
      className="overflow-hidden rounded-xl border border-zinc-200 bg-white shadow-sm dark:border-zinc-800 dark:bg-zinc-900"
    >
      <div className="overflow-x-auto">
        <table className="min-w-full text-left text-sm">
          <caption className="sr-only">{caption}</caption>
          <thead className="border-b border-zinc-200 bg-zinc-50 text-xs font-medium uppercase tracking-wide text-zinc-500 dark:border-zinc-800 dark:bg-zinc-900/60 dark:text-zinc-400">
            <tr>
              <th scope="col" className="px-4 py-2.5">
                Task
              </th>
              <th scope="col" className="px-4 py-2.5">
                Status
              </th>
              <th scope="col" className="hidden px-4 py-2.5 md:table-cell">
                Queue
              </th>
              <th scope="col" className="hidden px-4 py-2.5 text-right sm:table-cell">
                Attempts
              </th>
              <th scope="col" className="px-4 py-2.5">
                Enqueued
              </th>
              <th scope="col" className="hidden px-4 py-2.5 text-right lg:table-cell">
                Duration
              </th>
              <th scope="col" className="hidden px-4 py-2.5 xl:table-cell">
                Arguments
              </th>
            </tr>
          </thead>
          <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
            {items.map((task) => {
              const selected = task.id === selectedId;
              return (
                <tr
                  key={task.id}
                  data-task-id={task.id}
                  aria-current={selected ? "true" : undefined}
                  onClick={onSelect ? () => onSelect(task) : undefined}
                  className={`transition-colors ${onSelect ? "cursor-pointer" : ""} ${
                    selected ? "bg-indigo-50/80 dark:bg-indigo-500/10" : "hover:bg-zinc-50 dark:hover:bg-zinc-800/50"
                  }`}
                >
                  <td className="max-w-[14rem] px-4 py-2.5 sm:max-w-xs">
                    {onSelect ? (
                      <button
                        type="button"
                        onClick={(event) => {
                          event.stopPropagation();
                          onSelect(task);
                        }}
                        className="block max-w-full truncate rounded text-left font-medium text-zinc-900 hover:text-indigo-600 dark:text-zinc-100 dark:hover:text-indigo-400"
                        aria-label={`${task.verboseName ?? task.taskName}, ${task.status.toLowerCase()}, show details`}
                      >
                        {task.verboseName ?? task.taskName}
                      </button>
                    ) : (
                      <span className="block truncate font-medium">{task.verboseName ?? task.taskName}</span>
                    )}
                    <span className="block truncate font-mono text-xs text-zinc-500 dark:text-zinc-400">
                      {task.verboseName ? `${task.taskName} · ` : ""}
                      {shortId(task.id)}
                    </span>
                  </td>
                  <td className="px-4 py-2.5">
                    <div className="flex min-w-[6rem] flex-col gap-1.5">
                      <TaskStatusBadge status={task.status} attempts={task.attempts} />
                      {task.status === "RUNNING" && task.progress ? (
                        <TaskProgressBar
                          progress={task.progress}
                          label={`${task.taskName} progress`}
                          className="w-28"
                        />
                      ) : null}
                    </div>
                  </td>
                  <td className="hidden px-4 py-2.5 md:table-cell">
                    <span className="rounded bg-zinc-100 px-1.5 py-0.5 font-mono text-xs text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300">
                      {task.queueName}
                    </span>
                  </td>
                  <td className="hidden px-4 py-2.5 text-right tabular-nums sm:table-cell">
                    {task.attempts}
                    <span className="text-zinc-400 dark:text-zinc-500">/{task.maxAttempts}</span>
                  </td>
                  <td className="whitespace-nowrap px-4 py-2.5 text-zinc-600 dark:text-zinc-400">
                    <time dateTime={task.enqueuedAt} title={formatTimestamp(task.enqueuedAt)}>
                      {formatRelative(task.enqueuedAt, now)}
                    </time>
                  </td>
                  <td className="hidden whitespace-nowrap px-4 py-2.5 text-right tabular-nums text-zinc-600 lg:table-cell dark:text-zinc-400">
                    {task.lastAttemptedAt ? formatDuration(between(task.lastAttemptedAt, task.finishedAt, now)) : "—"}
                  </td>
                  <td className="hidden max-w-xs truncate px-4 py-2.5 font-mono text-xs text-zinc-500 xl:table-cell dark:text-zinc-400">
                    {formatJsonInline(task.args)}
                  </td>
                </tr>
              );
            })}
            {items.length === 0 ? (
              <tr>
                <td colSpan={7} className="px-4 py-12 text-center text-sm text-zinc-500 dark:text-zinc-400">
                  {isLoading ? (
                    <span className="inline-flex items-center gap-2">
                      <span
                        aria-hidden="true"
                        className="size-3 animate-spin rounded-full border-2 border-zinc-300 border-t-indigo-500"
                      />
                      Loading tasks…
                    </span>
                  ) : (
                    emptyMessage
                  )}
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
      {hasNextPage && onLoadMore ? (
        <div className="border-t border-zinc-200 p-2 text-center dark:border-zinc-800">
          <button
            type="button"
            onClick={onLoadMore}
            disabled={isFetchingNextPage}
            className="rounded-md px-3 py-1.5 text-sm font-medium text-indigo-600 hover:bg-indigo-50 disabled:opacity-50 dark:text-indigo-400 dark:hover:bg-indigo-500/10"
          >
            {isFetchingNextPage ? "Loading…" : "Load older tasks"}
          </button>
        </div>
      ) : null}
    </div>
  );
}
