"use client";

import type { QueueJSON } from "@errand/trpc";
import { formatRelative, formatTimestamp } from "../format";

export interface QueueListProps {
  queues: readonly QueueJSON[];
  /** Called with the queue and whether to pause it (`true`) or resume it (`false`). */
  onPausedChange?: ((queue: QueueJSON, paused: boolean) => void) | undefined;
  /** The queue whose pause or resume is on its way: its toggle is disabled. */
  busyQueue?: string | null | undefined;
  isLoading?: boolean | undefined;
  /** For "oldest due"; default now. */
  now?: number | undefined;
}

/** "10 / 60 s", "100 / min", "5 / s". */
export function formatRateLimit(rateLimit: QueueJSON["rateLimit"]): string {
  if (!rateLimit) return "none";
  const { limit, periodSeconds } = rateLimit;
  const per =
    periodSeconds === 1 ? "s" : periodSeconds === 60 ? "min" : periodSeconds === 3600 ? "h" : `${periodSeconds} s`;
  return `${limit.toLocaleString()} / ${per}`;
}

const cell = "px-4 py-2.5 tabular-nums";

/**
 * Queues as a table: a Paused badge and a pause/resume toggle, pending/running/failed,
 * running against the concurrency limit, the rate limit and the oldest due task. Every
 * figure is in words or numbers, never colour alone.
 *
 * @example <QueueList queues={data ?? []} onPausedChange={(q, paused) => toggle(q.name, paused)} />
 */
export function QueueList({ queues, onPausedChange, busyQueue, isLoading, now = Date.now() }: QueueListProps) {
  return (
    <div
      data-errand=""
      className="overflow-hidden rounded-xl border border-zinc-200 bg-white shadow-sm dark:border-zinc-800 dark:bg-zinc-900"
    >
      <div className="overflow-x-auto">
        <table className="min-w-full text-left text-sm">
          <caption className="sr-only">Queues, with their depth and limits</caption>
          <thead className="border-b border-zinc-200 bg-zinc-50 text-xs font-medium uppercase tracking-wide text-zinc-500 dark:border-zinc-800 dark:bg-zinc-900/60 dark:text-zinc-400">
            <tr>
              <th scope="col" className="px-4 py-2.5">
                Queue
              </th>
              <th scope="col" className="px-4 py-2.5 text-right">
                Pending
              </th>
              <th scope="col" className="px-4 py-2.5 text-right">
                Running
              </th>
              <th scope="col" className="px-4 py-2.5 text-right">
                Failed
              </th>
              <th scope="col" className="hidden px-4 py-2.5 sm:table-cell">
                Rate limit
              </th>
              <th scope="col" className="hidden px-4 py-2.5 md:table-cell">
                Oldest due
              </th>
              {onPausedChange ? (
                <th scope="col" className="px-4 py-2.5">
                  <span className="sr-only">Pause or resume</span>
                </th>
              ) : null}
            </tr>
          </thead>
          <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
            {queues.length === 0 ? (
              <tr>
                <td colSpan={7} className="px-4 py-6 text-center text-zinc-500 dark:text-zinc-400">
                  {isLoading ? "Loading queues…" : "No queues yet: a queue appears with its first task."}
                </td>
              </tr>
            ) : (
              queues.map((queue) => (
                <tr key={queue.name} data-testid="queue" data-queue={queue.name} data-paused={queue.paused}>
                  <th scope="row" className="px-4 py-2.5 font-medium">
                    <span className="flex flex-wrap items-center gap-2">
                      <span className="font-mono text-xs">{queue.name}</span>
                      {queue.paused ? (
                        <span className="inline-flex items-center gap-1.5 rounded-full bg-amber-50 px-2 py-0.5 text-xs font-medium text-amber-800 ring-1 ring-inset ring-amber-600/20 dark:bg-amber-400/10 dark:text-amber-300 dark:ring-amber-400/25">
                          <span aria-hidden="true">❚❚</span>
                          <span>Paused</span>
                        </span>
                      ) : null}
                    </span>
                  </th>
                  <td className={`${cell} text-right`} data-testid="queue-pending">
                    {queue.pending.toLocaleString()}
                  </td>
                  <td className={`${cell} text-right`} data-testid="queue-running">
                    {queue.running.toLocaleString()}
                    {queue.concurrency !== null ? (
                      <span className="text-zinc-500 dark:text-zinc-400">
                        {" "}
                        / {queue.concurrency.toLocaleString()}
                        <span className="sr-only"> allowed at once</span>
                      </span>
                    ) : null}
                  </td>
                  <td
                    className={`${cell} text-right ${queue.failed > 0 ? "text-rose-700 dark:text-rose-300" : ""}`}
                    data-testid="queue-failed"
                  >
                    {queue.failed.toLocaleString()}
                  </td>
                  <td className={`${cell} hidden sm:table-cell`} data-testid="queue-rate-limit">
                    {formatRateLimit(queue.rateLimit)}
                  </td>
                  <td className={`${cell} hidden md:table-cell`} title={formatTimestamp(queue.oldestDueAt)}>
                    {queue.oldestDueAt ? formatRelative(queue.oldestDueAt, now) : "none"}
                  </td>
                  {onPausedChange ? (
                    <td className="px-4 py-2 text-right">
                      <button
                        type="button"
                        onClick={() => onPausedChange(queue, !queue.paused)}
                        disabled={busyQueue === queue.name}
                        aria-label={`${queue.paused ? "Resume" : "Pause"} queue ${queue.name}`}
                        className="h-8 rounded-md border border-zinc-300 px-3 text-xs font-medium hover:bg-zinc-50 disabled:opacity-50 dark:border-zinc-700 dark:hover:bg-zinc-800"
                      >
                        {queue.paused ? "Resume" : "Pause"}
                      </button>
                    </td>
                  ) : null}
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
    </div>
  );
}
