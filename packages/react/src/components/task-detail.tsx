"use client";

import type { ReactNode } from "react";
import { isFinishedStatus } from "@errand/core/browser";
import type { TaskRecordJSON, TaskStatus } from "@errand/trpc";
import { between, formatDuration, formatJson, formatRelative, formatTimestamp } from "../format";
import { TaskProgressBar } from "./task-progress-bar";
import { TaskStatusBadge } from "./task-status-badge";

export interface TaskDetailProps {
  task: TaskRecordJSON;
  /**
   * Shows a Cancel button while the task is PENDING or RUNNING (a RUNNING task's worker
   * aborts it; until then the panel says a cancel was asked for).
   */
  onCancel?: ((task: TaskRecordJSON) => void) | undefined;
  /** Shows a Retry button once the task has FAILED. */
  onRetry?: ((task: TaskRecordJSON) => void) | undefined;
  /** Disables the buttons while an action runs. */
  busy?: boolean | undefined;
  /** A message from the last action, e.g. why a cancel was refused. */
  actionError?: string | null | undefined;
  /** Shows a close button. */
  onClose?: (() => void) | undefined;
  /** The tasks that wait on this one (tRPC `dependents`), shown as "Unblocks". */
  dependents?: readonly { id: string; taskName: string; status: TaskStatus }[] | undefined;
  /** Where a link to another task (a dependency or a dependent) goes. Default `?task=<id>`. */
  taskHref?: ((id: string) => string) | undefined;
  /** Opens another task in place instead of following its link (the dashboard's selection). */
  onOpenTask?: ((id: string) => void) | undefined;
  className?: string | undefined;
}

/**
 * Everything about one task: arguments, attempts, timings, workers, progress, the return
 * value and each failed attempt with its full traceback.
 *
 * @example <TaskDetail task={result} onRetry={(t) => retry.mutate({ id: t.id })} />
 */
export function TaskDetail({
  task,
  onCancel,
  onRetry,
  busy,
  actionError,
  onClose,
  dependents = [],
  taskHref = (id) => `?task=${id}`,
  onOpenTask,
  className = "",
}: TaskDetailProps) {
  const link = (id: string, label: ReactNode) => (
    <a
      href={taskHref(id)}
      onClick={(event) => {
        if (!onOpenTask || event.metaKey || event.ctrlKey || event.shiftKey) return;
        event.preventDefault();
        onOpenTask(id);
      }}
      className="break-all font-mono text-xs text-indigo-600 underline-offset-2 hover:underline dark:text-indigo-400"
    >
      {label}
    </a>
  );
  const now = Date.now();
  // From enqueue to the first start: includes any delay the task was given.
  const queued = task.startedAt ? between(task.enqueuedAt, task.startedAt, now) : null;
  const ran = task.lastAttemptedAt ? between(task.lastAttemptedAt, task.finishedAt, now) : null;
  const errors = [...task.errors].reverse();
  const cancellable = !isFinishedStatus(task.status);
  const stopping = task.status === "RUNNING" && task.cancelRequestedAt !== null;
  return (
    <article
      aria-labelledby={`task-${task.id}-title`}
      data-task-id={task.id}
      data-errand=""
      className={`rounded-xl border border-zinc-200 bg-white shadow-sm dark:border-zinc-800 dark:bg-zinc-900 ${className}`}
    >
      <header className="flex items-start gap-3 border-b border-zinc-200 p-4 dark:border-zinc-800">
        <div className="min-w-0 flex-1">
          <div className="flex flex-wrap items-center gap-2">
            <h2
              id={`task-${task.id}-title`}
              tabIndex={-1}
              className="truncate text-base font-semibold focus:outline-none"
            >
              {task.verboseName ?? task.taskName}
            </h2>
            <TaskStatusBadge status={task.status} attempts={task.attempts} />
          </div>
          <p className="mt-1 break-all font-mono text-xs text-zinc-500 dark:text-zinc-400">
            {task.verboseName ? `${task.taskName} · ` : ""}
            {task.id}
          </p>
        </div>
        {onClose ? (
          <button
            type="button"
            onClick={onClose}
            aria-label="Close details"
            className="-m-1 rounded-md p-1.5 text-zinc-500 hover:bg-zinc-100 hover:text-zinc-900 dark:hover:bg-zinc-800 dark:hover:text-zinc-100"
          >
            <svg viewBox="0 0 20 20" aria-hidden="true" className="size-5">
              <path d="M5 5l10 10M15 5L5 15" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" />
            </svg>
          </button>
        ) : null}
      </header>

      <div className="space-y-5 p-4">
        {(onCancel && cancellable) || (onRetry && task.status === "FAILED") || stopping ? (
          <div className="flex flex-wrap items-center gap-2">
            {onCancel && cancellable ? (
              <button
                type="button"
                disabled={busy || stopping}
                onClick={() => onCancel(task)}
                className="rounded-md border border-zinc-300 px-3 py-1.5 text-sm font-medium text-zinc-800 hover:bg-zinc-50 disabled:opacity-50 dark:border-zinc-700 dark:text-zinc-200 dark:hover:bg-zinc-800"
              >
                Cancel task
              </button>
            ) : null}
            {stopping ? (
              <p role="status" className="text-sm text-amber-700 dark:text-amber-300">
                Cancel asked for; waiting for its worker to stop it…
              </p>
            ) : null}
            {onRetry && task.status === "FAILED" ? (
              <button
                type="button"
                disabled={busy}
                onClick={() => onRetry(task)}
                className="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500 disabled:opacity-50"
              >
                Retry task
              </button>
            ) : null}
            {actionError ? (
              <p role="alert" className="text-sm text-rose-600 dark:text-rose-400">
                {actionError}
              </p>
            ) : null}
          </div>
        ) : null}

        {task.progress ? (
          <Section title="Progress">
            <TaskProgressBar progress={task.progress} label={`${task.taskName} progress`} />
          </Section>
        ) : null}

        <dl className="grid grid-cols-2 gap-x-4 gap-y-3 text-sm sm:grid-cols-3">
          <Fact label="Queue" value={<span className="font-mono">{task.queueName}</span>} />
          <Fact label="Priority" value={task.priority} />
          <Fact label="Attempts" value={`${task.attempts} of ${task.maxAttempts}`} />
          <Fact label="Enqueued" value={<Time iso={task.enqueuedAt} now={now} />} />
          <Fact label="Due" value={<Time iso={task.runAfter} now={now} />} />
          <Fact label="Started" value={<Time iso={task.startedAt} now={now} />} />
          <Fact label="Last attempt" value={<Time iso={task.lastAttemptedAt} now={now} />} />
          <Fact label="Finished" value={<Time iso={task.finishedAt} now={now} />} />
          <Fact label="Queued for" value={formatDuration(queued)} />
          <Fact label={task.finishedAt ? "Ran for" : "Running for"} value={formatDuration(ran)} />
          <Fact label="Backend" value={<span className="font-mono">{task.backend}</span>} />
          {task.repeat ? <Fact label="Repeats every" value={formatDuration(task.repeat * 1000)} /> : null}
          {task.creator ? <Fact label="Created by" value={`${task.creator.type} ${task.creator.id}`} /> : null}
          {task.uniqueKey ? (
            <Fact label="Unique key" value={<span className="font-mono">{task.uniqueKey}</span>} />
          ) : null}
        </dl>

        <Section title={`Workers (${task.workerIds.length})`}>
          {task.workerIds.length ? (
            <ol className="space-y-1 text-sm">
              {task.workerIds.map((worker, index) => (
                <li key={`${worker}-${index}`} className="flex gap-2">
                  <span className="w-20 shrink-0 whitespace-nowrap text-zinc-500 dark:text-zinc-400">
                    Attempt {index + 1}
                  </span>
                  <code className="break-all font-mono text-xs leading-5">{worker}</code>
                </li>
              ))}
            </ol>
          ) : (
            <p className="text-sm text-zinc-500 dark:text-zinc-400">Not picked up by a worker yet.</p>
          )}
        </Section>

        {task.dependsOn.length ? (
          <Section
            title={`Waits on (${task.dependsOn.length})${task.waitingOn > 0 ? ` · ${task.waitingOn} still to succeed` : ""}`}
          >
            <ol aria-label="Waits on" className="space-y-1">
              {task.dependsOn.map((id) => (
                <li key={id}>{link(id, id)}</li>
              ))}
            </ol>
          </Section>
        ) : null}

        {dependents.length ? (
          <Section title={`Unblocks (${dependents.length})`}>
            <ul aria-label="Unblocks" className="space-y-1">
              {dependents.map((d) => (
                <li key={d.id} className="flex flex-wrap items-center gap-2">
                  <TaskStatusBadge status={d.status} />
                  <span className="text-sm">{d.taskName}</span>
                  {link(d.id, d.id)}
                </li>
              ))}
            </ul>
          </Section>
        ) : null}

        <Section title="Arguments">
          <Code>{formatJson(task.args)}</Code>
        </Section>

        {task.status === "SUCCESSFUL" ? (
          <Section title="Return value">
            <Code>{formatJson(task.returnValue ?? null)}</Code>
          </Section>
        ) : null}

        <Section title={`Errors (${task.errors.length})`}>
          {errors.length ? (
            <ul className="space-y-3">
              {errors.map((error, index) => (
                <li key={`${error.attempt}-${error.failedAt}`}>
                  <details
                    open={index === 0}
                    className="group rounded-lg border border-rose-200 dark:border-rose-500/30"
                  >
                    <summary className="flex cursor-pointer list-none items-start gap-2 rounded-lg px-3 py-2 text-sm hover:bg-rose-50 dark:hover:bg-rose-500/10">
                      <span
                        aria-hidden="true"
                        className="mt-px text-rose-500 transition-transform group-open:rotate-90"
                      >
                        ▸
                      </span>
                      <span className="min-w-0 flex-1">
                        <span className="flex flex-wrap items-baseline justify-between gap-x-3">
                          <span className="font-medium text-rose-700 dark:text-rose-300">{error.exceptionClass}</span>
                          <span className="text-xs text-zinc-500 dark:text-zinc-400">
                            {error.attempt > 0 ? `attempt ${error.attempt}` : "before it ran"} ·{" "}
                            <Time iso={error.failedAt} now={now} />
                          </span>
                        </span>
                        <span className="mt-0.5 block break-words text-zinc-700 dark:text-zinc-300">
                          {error.message}
                        </span>
                      </span>
                    </summary>
                    <pre
                      aria-label={
                        error.attempt > 0
                          ? `Traceback of attempt ${error.attempt}`
                          : `Traceback of ${error.exceptionClass}`
                      }
                      tabIndex={0}
                      className="max-h-80 overflow-auto border-t border-rose-200 bg-zinc-950 p-3 font-mono text-xs leading-relaxed text-zinc-100 dark:border-rose-500/30"
                    >
                      {error.traceback || `${error.exceptionClass}: ${error.message}`}
                    </pre>
                  </details>
                </li>
              ))}
            </ul>
          ) : (
            <p className="text-sm text-zinc-500 dark:text-zinc-400">No failed attempts.</p>
          )}
        </Section>
      </div>
    </article>
  );
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section>
      <h3 className="mb-2 text-xs font-semibold uppercase tracking-wide text-zinc-500 dark:text-zinc-400">{title}</h3>
      {children}
    </section>
  );
}

function Fact({ label, value }: { label: string; value: ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs text-zinc-500 dark:text-zinc-400">{label}</dt>
      <dd className="mt-0.5 truncate tabular-nums">{value}</dd>
    </div>
  );
}

function Time({ iso, now }: { iso: string | null; now: number }) {
  if (!iso) return <span className="text-zinc-400 dark:text-zinc-500">—</span>;
  return (
    <time dateTime={iso} title={formatTimestamp(iso)}>
      {formatRelative(iso, now)}
    </time>
  );
}

function Code({ children }: { children: string }) {
  return (
    <pre
      tabIndex={0}
      className="max-h-64 overflow-auto rounded-lg bg-zinc-100 p-3 font-mono text-xs leading-relaxed text-zinc-800 dark:bg-zinc-950 dark:text-zinc-200"
    >
      {children}
    </pre>
  );
}
