import { ERROR_CODES, ErrandError, InvalidArgument } from "../errors";
import { checkOptions, type OptionSurface } from "../options/check-options";
import type { OptionTable } from "../options/option-rule";
import { normalizeJson, type JsonValue } from "../json/normalize-json";
import type { TaskResult } from "../result/task-result";
import type { RunnableTask } from "./runnable-task";
import type { TaskContext } from "./task-context";
import type { TaskDependency } from "../types";
import { LazyAbort } from "./lazy-abort";

/** `ctx.setProgress(done, total?)`'s arguments, checked by the option validator. */
const PROGRESS_ARGUMENTS = {
  done: { kind: "number", min: 0, required: true },
  total: { kind: "number", min: 0 },
} as const satisfies OptionTable;

/** A bad `setProgress` argument is an `InvalidArgument`, not a state error. */
const PROGRESS_SURFACE: OptionSurface = {
  where: "setProgress(done, total)",
  error: (message) => new InvalidArgument(message),
};

export interface RunTaskOptions {
  task: RunnableTask;
  /** The claimed task, as its context's `taskResult`. */
  result: TaskResult;
  attempt: number;
  /**
   * Aborts the run from outside (worker shutdown, lost lease). A `LazyAbort` is also what
   * the context's `signal` and the timeout use, so no `AbortSignal` is built unless the
   * task reads `ctx.signal`.
   */
  signal?: AbortSignal | LazyAbort | undefined;
  setProgress: (done: number, total: number | null) => Promise<void>;
  /** What its dependencies returned, in `dependsOn` order (`ctx.dependencies`). Default none. */
  dependencies?: TaskDependency[] | undefined;
}

export type RunOutcome = { ok: true; returnValue: JsonValue; json: string } | { ok: false; error: unknown };

/** A task ran past its `timeout`. */
export class TaskTimeoutError extends ErrandError {
  constructor(taskName: string, seconds: number) {
    super(
      ERROR_CODES.TASK_TIMEOUT,
      `Task "${taskName}" ran longer than its timeout of ${seconds} s; its signal was aborted.`,
    );
  }
}

/**
 * Runs one attempt of a task: builds its context, enforces its timeout, and checks that
 * what it returns is JSON. Never throws: everything the task throws or rejects with
 * (non-`Error` values included) comes back as `{ ok: false, error }`.
 *
 * A timed-out attempt fails at once; the function itself keeps running until it notices
 * `signal` (JavaScript cannot stop a function from outside).
 */
export function runTask(options: RunTaskOptions): Promise<RunOutcome> {
  const { task } = options;
  const outer = options.signal;
  const abort = outer instanceof LazyAbort ? outer : new LazyAbort();
  const onOuterAbort = () => abort.abort((outer as AbortSignal).reason);
  if (outer instanceof AbortSignal) {
    if (outer.aborted) abort.abort(outer.reason);
    else outer.addEventListener("abort", onOuterAbort, { once: true });
  }
  const dependencies = options.dependencies ?? [];
  const context: TaskContext = {
    taskResult: options.result,
    attempt: options.attempt,
    dependencies,
    dependenciesOf: <TReturn>(of: { name: string }) =>
      dependencies.filter((d) => d.taskName === of.name) as TaskDependency<TReturn>[],
    get signal() {
      return abort.signal;
    },
    setProgress: async (done, total) => {
      checkOptions({ done, total }, PROGRESS_ARGUMENTS, PROGRESS_SURFACE);
      await options.setProgress(done, total ?? null);
    },
  };
  // One promise settled by whichever comes first, the function or an abort (no race of two
  // promises per attempt: a drain of no-op tasks allocates little else).
  return new Promise<RunOutcome>((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let settled = false;
    const settle = (outcome: RunOutcome) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      if (outer instanceof AbortSignal) outer.removeEventListener("abort", onOuterAbort);
      resolve(outcome);
    };
    abort.onAbort((reason) =>
      settle({
        ok: false,
        error:
          reason instanceof Error
            ? reason
            : new ErrandError(ERROR_CODES.TASK_CANCELLED, `Task "${task.name}" was aborted: ${String(reason)}`),
      }),
    );
    if (task.timeout !== null && !settled) {
      timer = setTimeout(() => abort.abort(new TaskTimeoutError(task.name, task.timeout!)), task.timeout * 1000);
    }
    const failed = (error: unknown) => settle({ ok: false, error });
    try {
      task.run(context, options.result.args).then((value) => {
        try {
          settle(returned(task.name, value));
        } catch (error) {
          failed(error);
        }
      }, failed);
    } catch (error) {
      failed(error);
    }
  });
}

/** What a task returned, as JSON; a value that is not JSON fails the attempt. */
function returned(taskName: string, value: unknown): RunOutcome {
  let normalized: JsonValue;
  try {
    normalized = normalizeJson(value === undefined ? null : value, "returnValue", taskName);
  } catch (error) {
    return {
      ok: false,
      error: new ErrandError(
        ERROR_CODES.INVALID_RETURN_VALUE,
        `Task "${taskName}" returned a value that is not JSON: ${(error as Error).message.replace(/ Task arguments must be JSON.*$/, "")} Return plain JSON (convert Dates to strings).`,
        { cause: error },
      ),
    };
  }
  return { ok: true, returnValue: normalized, json: JSON.stringify(normalized) };
}
