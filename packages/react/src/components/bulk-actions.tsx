"use client";

import { useState } from "react";
import type { QueueJSON } from "@errand/trpc";
import type { TaskFilter } from "../hooks/use-task-list";
import { useQueueActions } from "../hooks/use-queue-actions";
import { ConfirmDialog } from "./confirm-dialog";

export interface BulkActionsProps {
  /** The dashboard's current filter: the actions apply to the tasks it matches. */
  filters: TaskFilter;
  /** The queues (from `useQueues`), for how many tasks each action concerns. */
  queues: readonly QueueJSON[] | undefined;
  /**
   * How many tasks match, when the caller knows better than the queue counts (a task name
   * filter with every matching row loaded). `undefined`: not known.
   */
  exactCounts?: { failed?: number | undefined; pending?: number | undefined } | undefined;
}

type Action = "retry" | "cancel";

function plural(n: number, word: string): string {
  return `${n.toLocaleString()} ${word}${n === 1 ? "" : "s"}`;
}

/**
 * "Retry N failed" and "Cancel N pending" for the tasks the current filter matches, each
 * behind a confirmation dialog; says how many it changed. N comes from the queue counts
 * (or `exactCounts`); with a task name filter and no exact count the buttons say "all".
 *
 * @example <BulkActions filters={{ queueName: "email" }} queues={useQueues().data} />
 */
export function BulkActions({ filters, queues, exactCounts }: BulkActionsProps) {
  const { retryMany, cancelMany } = useQueueActions();
  const [confirming, setConfirming] = useState<Action | null>(null);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);

  const inQueues = (queues ?? []).filter((q) => !filters.queueName || q.name === filters.queueName);
  const fromQueues = (key: "failed" | "pending") =>
    filters.taskName ? undefined : inQueues.reduce((sum, q) => sum + q[key], 0);
  const counts = {
    retry: exactCounts?.failed ?? fromQueues("failed"),
    cancel: exactCounts?.pending ?? fromQueues("pending"),
  };
  const offered = {
    retry: (!filters.status || filters.status === "FAILED") && counts.retry !== 0,
    cancel: (!filters.status || filters.status === "PENDING") && counts.cancel !== 0,
  };
  const scope = [
    filters.queueName ? `in queue ${filters.queueName}` : null,
    filters.taskName ? `of task ${filters.taskName}` : null,
  ]
    .filter(Boolean)
    .join(" ");
  const what = (action: Action) => {
    const n = counts[action];
    const status = action === "retry" ? "failed" : "pending";
    return n === undefined ? `all ${status}` : `${n.toLocaleString()} ${status}`;
  };

  if (!offered.retry && !offered.cancel && !message) return null;

  const run = (action: Action) => {
    const filter = {
      ...(filters.queueName ? { queueName: filters.queueName } : {}),
      ...(filters.taskName ? { taskName: filters.taskName } : {}),
    };
    const done = ({ count }: { count: number }) => {
      setConfirming(null);
      setMessage({ text: `${action === "retry" ? "Retried" : "Cancelled"} ${plural(count, "task")}.`, error: false });
    };
    const failed = (e: { message: string }) => {
      setConfirming(null);
      setMessage({ text: `Could not ${action}: ${e.message}`, error: true });
    };
    if (action === "retry") retryMany.mutate(filter, { onSuccess: done, onError: failed });
    else cancelMany.mutate(filter, { onSuccess: done, onError: failed });
  };

  const button =
    "h-9 rounded-md border px-3 text-sm font-medium disabled:opacity-50 border-zinc-300 hover:bg-zinc-50 dark:border-zinc-700 dark:hover:bg-zinc-800";
  return (
    <div data-errand="" className="flex flex-wrap items-center gap-2">
      {offered.retry ? (
        <button type="button" className={button} onClick={() => setConfirming("retry")}>
          Retry {what("retry")}
        </button>
      ) : null}
      {offered.cancel ? (
        <button type="button" className={button} onClick={() => setConfirming("cancel")}>
          Cancel {what("cancel")}
        </button>
      ) : null}
      <span
        role="status"
        className={`text-sm ${message?.error ? "text-rose-700 dark:text-rose-300" : "text-zinc-600 dark:text-zinc-400"}`}
      >
        {message?.text}
      </span>
      <ConfirmDialog
        open={confirming !== null}
        title={
          confirming === "retry"
            ? `Retry ${what("retry")} tasks${scope ? ` ${scope}` : ""}?`
            : `Cancel ${what("cancel")} tasks${scope ? ` ${scope}` : ""}?`
        }
        confirmLabel={confirming === "retry" ? `Retry ${what("retry")}` : `Cancel ${what("cancel")}`}
        danger={confirming === "cancel"}
        busy={retryMany.isPending || cancelMany.isPending}
        onConfirm={() => confirming && run(confirming)}
        onDismiss={() => setConfirming(null)}
      >
        {confirming === "retry"
          ? "Each runs again with the same arguments, one more attempt allowed; its errors are kept."
          : "Each ends FAILED with a TaskCancelled error and never runs. This cannot be undone, but they can be retried."}
      </ConfirmDialog>
    </div>
  );
}
