import type { TaskStatsJSON } from "@errand/trpc";
import { formatDuration } from "../format";

export interface QueueTimingsTableProps {
  timings: TaskStatsJSON["timings"];
}

/**
 * Per queue, over the last hour: the lag from when a task was due to when a worker started it,
 * and how long tasks ran, as p50/p95 (from the store's histograms, to within ±9 %).
 *
 * @example
 * <QueueTimingsTable timings={stats.data?.timings ?? []} />
 */
export function QueueTimingsTable({ timings }: QueueTimingsTableProps) {
  const cell = "px-3 py-2 text-right tabular-nums";
  const show = (ms: number | undefined) => (ms === undefined ? "–" : formatDuration(ms));
  return (
    <div data-errand="">
      <h2 className="mb-2 text-sm font-medium text-zinc-700 dark:text-zinc-300">Lag and duration, last hour</h2>
      {timings.length === 0 ? (
        <p className="text-sm text-zinc-500 dark:text-zinc-400" data-testid="queue-timings-empty">
          No task has started in the last hour.
        </p>
      ) : (
        <div className="overflow-x-auto">
          <table className="min-w-full text-sm" data-testid="queue-timings">
            <thead className="text-xs uppercase tracking-wide text-zinc-500 dark:text-zinc-400">
              <tr>
                <th scope="col" className="px-3 py-2 text-left font-medium">
                  Queue
                </th>
                <th scope="col" className="px-3 py-2 text-right font-medium" title="From due to started">
                  Lag p50
                </th>
                <th scope="col" className="px-3 py-2 text-right font-medium">
                  Lag p95
                </th>
                <th scope="col" className="px-3 py-2 text-right font-medium" title="From started to finished">
                  Duration p50
                </th>
                <th scope="col" className="px-3 py-2 text-right font-medium">
                  Duration p95
                </th>
                <th scope="col" className="px-3 py-2 text-right font-medium">
                  Finished
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-100 text-zinc-800 dark:divide-zinc-800 dark:text-zinc-200">
              {timings.map((t) => (
                <tr key={t.queueName} data-testid={`queue-timings-${t.queueName}`}>
                  <th scope="row" className="px-3 py-2 text-left font-medium">
                    {t.queueName}
                  </th>
                  <td className={cell} data-testid="lag-p50">
                    {show(t.lag?.p50)}
                  </td>
                  <td className={cell} data-testid="lag-p95">
                    {show(t.lag?.p95)}
                  </td>
                  <td className={cell} data-testid="duration-p50">
                    {show(t.duration?.p50)}
                  </td>
                  <td className={cell} data-testid="duration-p95">
                    {show(t.duration?.p95)}
                  </td>
                  <td className={cell} data-testid="duration-count">
                    {(t.duration?.count ?? 0).toLocaleString()}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
