"use client";

import Link from "next/link";
import { useState, useTransition } from "react";
import { cancelTask } from "./actions";
import { TaskProgressBar, TaskStatusBadge, formatDuration, useTaskResult } from "@errand/react";

/** One task the demo enqueued, followed live with `useTaskResult(id)` until it finishes. */
export function TrackedTask({ id, label }: { id: string; label: string }) {
  const { result, isFinished, error } = useTaskResult(id);
  const [cancelling, startCancel] = useTransition();
  const [cancelMessage, setCancelMessage] = useState<string | null>(null);
  const lastError = result?.errors.at(-1);
  const ran =
    result?.lastAttemptedAt && result.finishedAt
      ? new Date(result.finishedAt).getTime() - new Date(result.lastAttemptedAt).getTime()
      : null;
  return (
    <li
      data-testid="tracked-task"
      data-task-id={id}
      data-status={result?.status ?? "LOADING"}
      className="rounded-xl border border-zinc-200 bg-white p-4 shadow-sm dark:border-zinc-800 dark:bg-zinc-900"
    >
      <div className="flex flex-wrap items-center gap-2">
        <span className="min-w-0 flex-1 truncate font-medium">{label}</span>
        {result ? <TaskStatusBadge status={result.status} attempts={result.attempts} /> : null}
      </div>
      <p className="mt-1 font-mono text-xs text-zinc-500 dark:text-zinc-400">
        {result?.taskName ?? "…"} · {id.slice(0, 8)}
        {result ? ` · attempt ${result.attempts} of ${result.maxAttempts}` : ""}
        {ran !== null ? ` · ran ${formatDuration(ran)}` : ""}
        {result && result.status === "PENDING" && result.waitingOn > 0 ? ` · waiting on ${result.waitingOn}` : ""}
      </p>
      {error ? (
        <p className="mt-2 text-sm text-rose-600 dark:text-rose-400">Could not follow this task: {error.message}</p>
      ) : null}
      {result?.progress && !isFinished ? (
        <TaskProgressBar progress={result.progress} label={`${label} progress`} className="mt-3" />
      ) : null}
      {result?.status === "SUCCESSFUL" ? (
        <p className="mt-3 text-sm">
          <span className="text-zinc-500 dark:text-zinc-400">Returned </span>
          <code
            className="rounded bg-zinc-100 px-1.5 py-0.5 font-mono text-xs dark:bg-zinc-800"
            data-testid="return-value"
          >
            {JSON.stringify(result.returnValue)}
          </code>
        </p>
      ) : null}
      {lastError ? (
        <details className="mt-3" open={result?.status === "FAILED"}>
          <summary className="cursor-pointer text-sm text-rose-700 dark:text-rose-300">
            {lastError.exceptionClass}: {lastError.message}
            {result?.status === "PENDING" ? " — retrying" : ""}
          </summary>
          <pre
            data-testid="traceback"
            tabIndex={0}
            className="mt-2 max-h-56 overflow-auto rounded-lg bg-zinc-950 p-3 font-mono text-xs leading-relaxed text-zinc-100"
          >
            {lastError.traceback}
          </pre>
        </details>
      ) : null}
      {result && !isFinished ? (
        <button
          type="button"
          disabled={cancelling || result.cancelRequestedAt !== null}
          onClick={() =>
            startCancel(async () => {
              setCancelMessage((await cancelTask(id)).message);
            })
          }
          className="mr-4 mt-3 rounded-md border border-zinc-300 px-2.5 py-1 text-sm font-medium text-zinc-800 hover:bg-zinc-50 disabled:opacity-50 dark:border-zinc-700 dark:text-zinc-200 dark:hover:bg-zinc-800"
        >
          {result.cancelRequestedAt !== null ? "Stopping…" : "Cancel"}
        </button>
      ) : null}
      {cancelMessage ? (
        <p role="status" className="mt-2 text-sm text-zinc-600 dark:text-zinc-300">
          {cancelMessage}
        </p>
      ) : null}
      <Link
        href={`/?task=${id}`}
        className="mt-3 inline-block text-sm font-medium text-indigo-600 hover:underline dark:text-indigo-400"
      >
        Open in dashboard →
      </Link>
    </li>
  );
}
