"use client";

import { useLiveStatus } from "../live/task-feed";

export interface LiveIndicatorProps {
  /** The polling interval to mention while the stream is down, in ms. Default: the provider's, else 2000. */
  pollInterval?: number | undefined;
  className?: string | undefined;
}

/**
 * Says how the data on screen stays fresh: "Live" while the push stream is connected,
 * "Polling every 2 s" while it is down, "Not refreshing" with polling off and no stream.
 *
 * @example
 * <LiveIndicator className="flex justify-end" />
 */
export function LiveIndicator({ pollInterval, className = "" }: LiveIndicatorProps) {
  const status = useLiveStatus();
  const interval = pollInterval ?? status.pollInterval;
  const mode = status.live ? "live" : interval === false ? "paused" : "polling";
  const seconds = (interval === false ? 0 : (interval ?? 2000)) / 1000;
  const label = mode === "live" ? "Live" : mode === "polling" ? `Polling every ${seconds} s` : "Not refreshing";
  const dot = mode === "live" ? "bg-emerald-500" : mode === "polling" ? "bg-amber-500" : "bg-zinc-400 dark:bg-zinc-600";
  return (
    <div className={className}>
      <p
        role="status"
        data-testid="live-indicator"
        data-live-mode={mode}
        title={
          mode === "live"
            ? "Updated as each change is stored (push stream connected)"
            : "The push stream is not connected"
        }
        className="inline-flex items-center gap-2 text-xs font-medium text-zinc-600 dark:text-zinc-400"
      >
        <span aria-hidden="true" className={`inline-block size-2 rounded-full ${dot}`} />
        {label}
      </p>
    </div>
  );
}
