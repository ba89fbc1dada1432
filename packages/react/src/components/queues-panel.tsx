"use client";

import { useId, useState } from "react";
import { useQueueActions } from "../hooks/use-queue-actions";
import { useQueues } from "../hooks/use-queues";
import { QueueList } from "./queue-list";

export interface QueuesPanelProps {
  /** Milliseconds between polls while the push stream is down. Default: the provider's, else 2000. */
  refreshInterval?: number | undefined;
  /** Hide the pause/resume toggles (a read-only view). Default false. */
  readOnly?: boolean | undefined;
  /** The panel's heading. Default "Queues". */
  title?: string | undefined;
}

/**
 * Every queue, live: a Paused badge and a pause/resume toggle, pending/running/failed,
 * running against the concurrency limit, the rate limit and the oldest due task. A paused
 * queue keeps accepting tasks; no worker starts them until it is resumed.
 *
 * @example
 * <ErrandProvider url="/api/trpc"><QueuesPanel /></ErrandProvider>
 */
export function QueuesPanel({ refreshInterval, readOnly = false, title = "Queues" }: QueuesPanelProps) {
  const titleId = useId();
  const queues = useQueues({ refetchInterval: refreshInterval });
  const { pauseQueue, resumeQueue } = useQueueActions();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const paused = (queues.data ?? []).filter((q) => q.paused).length;
  return (
    <section data-errand="" aria-labelledby={titleId} className="space-y-3">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h2 id={titleId} className="text-base font-semibold">
          {title}
        </h2>
        <span aria-live="polite" className="text-xs text-zinc-500 dark:text-zinc-400">
          {paused > 0 ? `${paused} paused` : null}
        </span>
      </div>
      {(error ?? queues.error) ? (
        <div
          role="alert"
          className="rounded-lg border border-rose-200 bg-rose-50 px-4 py-3 text-sm text-rose-800 dark:border-rose-500/30 dark:bg-rose-500/10 dark:text-rose-200"
        >
          {error ?? `Could not load queues: ${queues.error?.message}`}
        </div>
      ) : null}
      <QueueList
        queues={queues.data ?? []}
        isLoading={queues.isLoading}
        busyQueue={busy}
        onPausedChange={
          readOnly
            ? undefined
            : (queue, pause) => {
                setBusy(queue.name);
                setError(null);
                (pause ? pauseQueue : resumeQueue).mutate(
                  { name: queue.name },
                  {
                    onError: (e) => setError(`Could not ${pause ? "pause" : "resume"} ${queue.name}: ${e.message}`),
                    onSettled: () => setBusy(null),
                  },
                );
              }
        }
      />
    </section>
  );
}
