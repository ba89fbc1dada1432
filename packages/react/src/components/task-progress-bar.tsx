import type { TaskProgress } from "@errand/trpc";

export interface TaskProgressBarProps {
  progress: TaskProgress | null;
  /** Shown to screen readers, e.g. the task's name. */
  label?: string | undefined;
  className?: string | undefined;
}

/**
 * How far a running task says it is (`context.setProgress(done, total)`). Without a total
 * it shows the count and an indeterminate bar.
 */
export function TaskProgressBar({ progress, label = "Progress", className = "" }: TaskProgressBarProps) {
  if (!progress) return null;
  const { done, total } = progress;
  const known = total !== null && total > 0;
  const percent = known ? Math.min(100, Math.max(0, (done / total) * 100)) : null;
  return (
    <div data-errand="" className={`flex items-center gap-3 ${className}`}>
      <div
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={known ? total : undefined}
        aria-valuenow={known ? done : undefined}
        aria-valuetext={known ? `${done} of ${total}` : `${done} done`}
        className="relative h-2 flex-1 overflow-hidden rounded-full bg-zinc-200 dark:bg-zinc-800"
      >
        <div
          className={`h-full rounded-full bg-indigo-500 transition-[width] duration-500 ease-out ${percent === null ? "w-1/3 animate-pulse" : ""}`}
          style={percent === null ? undefined : { width: `${percent}%` }}
        />
      </div>
      <span className="shrink-0 font-mono text-xs tabular-nums text-zinc-600 dark:text-zinc-400">
        {known ? `${done}/${total}` : done}
        {percent !== null ? ` · ${Math.round(percent)}%` : ""}
      </span>
    </div>
  );
}
