import type { TaskStatus } from "@errand/trpc";

const STYLES: Record<TaskStatus, { label: string; className: string; dot: string }> = {
  PENDING: {
    label: "Pending",
    className:
      "bg-amber-50 text-amber-800 ring-amber-600/20 dark:bg-amber-400/10 dark:text-amber-300 dark:ring-amber-400/25",
    dot: "bg-amber-500",
  },
  RUNNING: {
    label: "Running",
    className: "bg-sky-50 text-sky-800 ring-sky-600/20 dark:bg-sky-400/10 dark:text-sky-300 dark:ring-sky-400/25",
    dot: "bg-sky-500 animate-pulse",
  },
  SUCCESSFUL: {
    label: "Successful",
    className:
      "bg-emerald-50 text-emerald-800 ring-emerald-600/20 dark:bg-emerald-400/10 dark:text-emerald-300 dark:ring-emerald-400/25",
    dot: "bg-emerald-500",
  },
  FAILED: {
    label: "Failed",
    className: "bg-rose-50 text-rose-800 ring-rose-600/20 dark:bg-rose-400/10 dark:text-rose-300 dark:ring-rose-400/25",
    dot: "bg-rose-500",
  },
};

export interface TaskStatusBadgeProps {
  status: TaskStatus;
  /** A PENDING task with attempts behind it is waiting to be retried: say so. */
  attempts?: number | undefined;
  className?: string | undefined;
}

/**
 * A task's status as a coloured pill; the word is always shown, so colour is never the
 * only signal.
 *
 * @example <TaskStatusBadge status={result.status} attempts={result.attempts} />
 */
export function TaskStatusBadge({ status, attempts, className = "" }: TaskStatusBadgeProps) {
  const style = STYLES[status] ?? STYLES.PENDING;
  const retrying = status === "PENDING" && (attempts ?? 0) > 0;
  return (
    <span
      data-status={status}
      data-errand=""
      className={`inline-flex items-center gap-1.5 whitespace-nowrap rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${style.className} ${className}`}
    >
      <span aria-hidden="true" className={`size-1.5 rounded-full ${style.dot}`} />
      {retrying ? "Retrying" : style.label}
    </span>
  );
}
