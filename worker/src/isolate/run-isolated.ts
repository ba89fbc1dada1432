import { Worker as Thread } from "node:worker_threads";
import { ERROR_CODES, ErrandError, TaskTimeoutError, type TaskDependency, type TaskRecord } from "@errand/core";
import type { LazyAbort, RunOutcome } from "@errand/core/internal";
import { loadedConfig } from "../load-config";
import type { IsolatedTaskData, ThreadMessage } from "./thread-messages";

/** The thread's entry: plain JavaScript beside this module, and beside the bundled code in dist/. */
const BOOTSTRAP = new URL("./isolated-task-bootstrap.mjs", import.meta.url);
/** What it imports: the TypeScript module in the sources, its own emitted file in dist/. */
const ENTRY = new URL(
  import.meta.url.endsWith(".ts") ? "./isolated-task-thread.ts" : "./isolated-task-thread.js",
  import.meta.url,
).href;

export interface RunIsolatedOptions {
  task: TaskRecord;
  /** Seconds the attempt may run; past it the thread is ended. */
  timeout: number | null;
  /** Aborted by a cancel, a lost lease or shutdown: the thread is ended. */
  abort: LazyAbort;
  setProgress: (done: number, total: number | null) => Promise<void>;
  /** What its dependencies returned (`ctx.dependencies`). Default none. */
  dependencies?: TaskDependency[] | undefined;
}

/** An error thrown in an isolated task's thread, as it crossed back (class name, message, stack). */
export class IsolatedTaskError extends Error {
  readonly code: string | undefined;
  constructor(error: { exceptionClass: string; message: string; traceback: string }, doNotRetry: boolean) {
    super(error.message);
    this.name = error.exceptionClass;
    this.stack = error.traceback;
    // `isDoNotRetry` reads the code: a DoNotRetry thrown in the thread is not retried.
    this.code = doNotRetry ? ERROR_CODES.DO_NOT_RETRY : undefined;
  }
}

/**
 * Runs one attempt of an `isolate: "thread"` task in a new `worker_threads` thread that
 * loads the worker's config and task modules and finds the task by name, so its CPU work
 * blocks neither this event loop (other tasks, the lease heartbeat's tick) nor anything
 * else. A timeout or an abort (cancel, lost lease, shutdown) ends the thread: the
 * function is stopped, not just told. Never rejects.
 *
 * @example
 * const outcome = await runIsolated({ task, timeout: 60, abort, setProgress });
 */
export function runIsolated(options: RunIsolatedOptions): Promise<RunOutcome> {
  const { task, timeout, abort } = options;
  const loaded = loadedConfig();
  if (!loaded) {
    return Promise.resolve({
      ok: false,
      error: new ErrandError(
        ERROR_CODES.INVALID_STATE,
        `Task "${task.taskName}" has isolate: "thread", and its thread must import the task modules, but this process loaded no errand config. Run the worker with "errand worker" (it loads errand.config.ts), or call loadConfig() from @errand/worker before starting a Worker.`,
      ),
    });
  }
  const data: IsolatedTaskData = {
    entry: ENTRY,
    record: task,
    configFile: loaded.file,
    dependencies: options.dependencies ?? [],
    taskModules: loaded.file ? [] : loaded.taskModules,
  };
  return new Promise<RunOutcome>((resolve) => {
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const thread = new Thread(BOOTSTRAP, { workerData: data });
    const finish = (outcome: RunOutcome) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      resolve(outcome);
      // Ends the function if it still runs, and closes the thread's connections.
      void thread.terminate();
    };
    // Progress is written in order, and before the outcome is handed on to be stored.
    let progress: Promise<unknown> = Promise.resolve();
    let doneReceived = false;
    thread.on("message", (message: ThreadMessage) => {
      if (message.type === "progress") {
        progress = progress.then(() => options.setProgress(message.done, message.total)).catch(() => undefined);
      } else if (message.ok) {
        doneReceived = true;
        void progress.then(() =>
          finish({ ok: true, returnValue: JSON.parse(message.json) as never, json: message.json }),
        );
      } else {
        doneReceived = true;
        void progress.then(() =>
          finish({ ok: false, error: new IsolatedTaskError(message.error, message.doNotRetry) }),
        );
      }
    });
    thread.on("error", (error) => finish({ ok: false, error }));
    thread.on("exit", (code) => {
      if (doneReceived) return;
      finish({
        ok: false,
        error: new ErrandError(
          ERROR_CODES.INVALID_STATE,
          `The thread running task "${task.taskName}" exited with code ${code} before the task finished (process.exit() in the task, or out of memory).`,
        ),
      });
    });
    if (timeout !== null) {
      timer = setTimeout(
        () => finish({ ok: false, error: new TaskTimeoutError(task.taskName, timeout) }),
        timeout * 1000,
      );
    }
    abort.onAbort((reason) => {
      finish({
        ok: false,
        error:
          reason instanceof Error
            ? reason
            : new ErrandError(ERROR_CODES.TASK_CANCELLED, `Task "${task.taskName}" was aborted: ${String(reason)}`),
      });
    });
  });
}
