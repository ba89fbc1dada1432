import type { TaskErrorRow } from "@errand/db";
import {
  TaskNotRegistered,
  TaskResult,
  type TaskDependency,
  type TaskRecord,
  type TaskRecordSource,
} from "@errand/core";
import {
  errorToTaskError,
  LazyAbort,
  registeredTasks,
  RunSpan,
  runTask,
  type RunOutcome,
  type TaskStore,
} from "@errand/core/internal";
import { runIsolated } from "./isolate/run-isolated";
import { retryDelayFor } from "./retry-delay";

/**
 * What one attempt came to, ready to store: the return value as JSON text, or the error
 * as stored and the retry delay it asks for (`null`: no retry; see `retryDelayFor`).
 */
/** A task as the registry holds it. */
type RunnableTask = NonNullable<ReturnType<ReturnType<typeof registeredTasks>["get"]>>;

export type AttemptOutcome =
  { ok: true; returnValue: string } | { ok: false; error: TaskErrorRow; retryDelay: number | null };

export interface TaskAttemptOptions {
  /** The claimed task (status RUNNING, `attempts` already counting this attempt). */
  task: TaskRecord;
  /** Where progress is written: the store the task was claimed from. */
  store: TaskStore;
  /** Where the task's `ctx.taskResult` reloads its record from: its backend. */
  backend: TaskRecordSource;
  workerId: string;
  /** When the function starts. Default now. */
  startedAt?: Date | undefined;
  /** Called with the outcome as it settles, before anything awaiting `outcome` resumes. */
  onOutcome?: ((outcome: AttemptOutcome) => void) | undefined;
}

/**
 * One attempt of a claimed task, started at construction: looks the task up in the
 * registry, runs its function through `runTask` (context, timeout, JSON check) with an
 * abort signal the worker controls, writes its progress, and turns what happened into an
 * `AttemptOutcome`. It stores nothing: the worker hands the outcome to its result flusher.
 *
 * @example
 * const attempt = new TaskAttempt({ task, store, backend, workerId });
 * const outcome = await attempt.outcome; // { ok: true, returnValue: '{"sent":true}' }
 */
export class TaskAttempt {
  readonly task: TaskRecord;
  /** Settles once the function returned, threw, timed out or was aborted. Never rejects. */
  readonly outcome: Promise<AttemptOutcome>;
  /** The lease lapsed and another worker may own the task: this attempt's outcome must be dropped. */
  lost = false;
  /** When the function started (a task claimed ahead waited in the local queue before). */
  readonly startedAt: Date;
  readonly #abort = new LazyAbort();
  readonly #startedAt = performance.now();

  /** The attempt's consumer span (`errand.run <task name>`); `null` without `@opentelemetry/api`. */
  readonly span: RunSpan | null;

  constructor(options: TaskAttemptOptions) {
    this.task = options.task;
    this.startedAt = options.startedAt ?? new Date();
    const span = (this.span = RunSpan.start(options.task, this.startedAt));
    let run: Promise<RunOutcome>;
    try {
      run = span ? span.run(() => this.#run(options)) : this.#run(options);
    } catch (error) {
      run = Promise.resolve({ ok: false, error });
    }
    const { onOutcome } = options;
    const done = (outcome: AttemptOutcome): AttemptOutcome => {
      if (onOutcome) {
        try {
          onOutcome(outcome);
        } catch (error) {
          // Not this attempt's failure: thrown again outside the outcome, which never rejects.
          queueMicrotask(() => {
            throw error;
          });
        }
      }
      return outcome;
    };
    this.outcome = run.then(
      (outcome) => {
        span?.end(outcome.ok ? outcome : { ok: false, error: outcome.error });
        return done(this.#toOutcome(outcome));
      },
      (error: unknown) => {
        span?.end({ ok: false, error });
        return done(this.#toOutcome({ ok: false, error }));
      },
    );
  }

  /** Aborts the task's `signal` with `reason`; the attempt fails with it unless it already finished. */
  abort(reason: Error): void {
    this.#abort.abort(reason);
  }

  /** Milliseconds since the attempt started, to 0.1 ms. */
  get elapsedMs(): number {
    return Math.round((performance.now() - this.#startedAt) * 10) / 10;
  }

  #run(options: TaskAttemptOptions): Promise<RunOutcome> {
    const { task } = options;
    const registered = registeredTasks().get(task.taskName);
    if (!registered) return Promise.resolve({ ok: false, error: new TaskNotRegistered(task.taskName) });
    // Only a task that waited reads its dependencies' results: one query, before it starts.
    if (task.dependsOn.length > 0) {
      return options.store
        .taskDependencies({ id: task.id })
        .then((dependencies) => this.#runRegistered(options, registered, dependencies));
    }
    return this.#runRegistered(options, registered, []);
  }

  #runRegistered(
    options: TaskAttemptOptions,
    registered: RunnableTask,
    dependencies: TaskDependency[],
  ): Promise<RunOutcome> {
    const { task, store, workerId } = options;
    const setProgress = async (done: number, total: number | null) => {
      await store.taskSetProgress({ id: task.id, workerId, done, total });
    };
    if (registered.isolate === "thread") {
      return runIsolated({ task, timeout: registered.timeout, abort: this.#abort, setProgress, dependencies });
    }
    return runTask({
      task: registered,
      result: new TaskResult(task, options.backend),
      attempt: task.attempts,
      signal: this.#abort,
      setProgress,
      dependencies,
    });
  }

  #toOutcome(outcome: RunOutcome): AttemptOutcome {
    if (outcome.ok) return { ok: true, returnValue: outcome.json };
    const taskError = errorToTaskError(outcome.error, this.task.attempts);
    return {
      ok: false,
      error: { ...taskError, failedAt: taskError.failedAt.toISOString() },
      retryDelay: retryDelayFor(this.task, outcome.error),
    };
  }
}
