import type { TaskStatus } from "@errand/trpc";
import type { TaskStatsJSON } from "@errand/trpc";
import { formatRelative } from "../format";

export interface TaskStatsCardsProps {
  stats: TaskStatsJSON | undefined;
  /** The status the table is filtered on, marked as pressed. */
  activeStatus?: TaskStatus | undefined;
  /** Makes each card a toggle that filters by its status. */
  onStatusClick?: ((status: TaskStatus) => void) | undefined;
}

const CARDS: { status: TaskStatus; label: string; accent: string }[] = [
  { status: "PENDING", label: "Pending", accent: "text-amber-600 dark:text-amber-400" },
  { status: "RUNNING", label: "Running", accent: "text-sky-600 dark:text-sky-400" },
  { status: "SUCCESSFUL", label: "Successful", accent: "text-emerald-600 dark:text-emerald-400" },
  { status: "FAILED", label: "Failed", accent: "text-rose-600 dark:text-rose-400" },
];

/** Four counts by status, plus how long the oldest due task has waited. */
export function TaskStatsCards({ stats, activeStatus, onStatusClick }: TaskStatsCardsProps) {
  const lag = stats?.oldestDueAt ? formatRelative(stats.oldestDueAt, new Date(stats.generatedAt).getTime()) : null;
  return (
    <div data-errand="" className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-5">
      {CARDS.map((card) => {
        const count = stats?.byStatus[card.status];
        const pressed = activeStatus === card.status;
        const body = (
          <>
            <span className="text-xs font-medium uppercase tracking-wide text-zinc-500 dark:text-zinc-400">
              {card.label}
            </span>
            <span
              className={`mt-1 block text-2xl font-semibold tabular-nums ${card.accent}`}
              data-testid={`count-${card.status}`}
            >
              {count === undefined ? "–" : count.toLocaleString()}
            </span>
          </>
        );
        const base = "rounded-xl border bg-white p-4 text-left shadow-sm dark:bg-zinc-900";
        return onStatusClick ? (
          <button
            key={card.status}
            type="button"
            aria-pressed={pressed}
            onClick={() => onStatusClick(card.status)}
            title={pressed ? "Show every status" : `Show only ${card.label.toLowerCase()} tasks`}
            className={`${base} transition-colors ${
              pressed
                ? "border-indigo-400 ring-2 ring-indigo-400/30 dark:border-indigo-500"
                : "border-zinc-200 hover:border-zinc-300 dark:border-zinc-800 dark:hover:border-zinc-700"
            }`}
          >
            {body}
          </button>
        ) : (
          <div key={card.status} className={`${base} border-zinc-200 dark:border-zinc-800`}>
            {body}
          </div>
        );
      })}
      <div className="col-span-2 rounded-xl border border-zinc-200 bg-white p-4 shadow-sm sm:col-span-1 dark:border-zinc-800 dark:bg-zinc-900">
        <span className="text-xs font-medium uppercase tracking-wide text-zinc-500 dark:text-zinc-400">Oldest due</span>
        <span className="mt-1 block text-2xl font-semibold tabular-nums text-zinc-900 dark:text-zinc-100">
          {stats ? (lag ?? "none") : "–"}
        </span>
        <span className="text-xs text-zinc-500 dark:text-zinc-400">how far behind the workers are</span>
      </div>
    </div>
  );
}
