import type { Logger } from "./logger";
import type { Worker } from "./worker";

const SIGNALS = ["SIGTERM", "SIGINT", "SIGQUIT"] as const;

/** How often a worker started through npm checks that npm is still its parent. */
const PARENT_CHECK_MS = 500;

export interface SignalHandlerOptions {
  /**
   * Also stop gracefully, as on a first SIGTERM, when the parent process exits. For a worker
   * started through npm (`npx errand worker`, `npm run …`): npm runs it under `sh -c`, and at
   * SIGTERM Debian's `sh` dies without passing the signal on, so npm exits and the worker
   * would otherwise run on, orphaned. Default: on when npm started this process.
   */
  stopWithParent?: boolean | undefined;
}

/** npm sets `npm_command` (and `npm_lifecycle_event`) in the environment of what it runs. */
export function startedByNpm(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.npm_command !== undefined || env.npm_lifecycle_event !== undefined;
}

/**
 * Notes a stop signal that arrives while a worker process is still starting (loading its
 * config and task modules), before `installSignalHandlers` can stop a worker: without it, the
 * signal's default action would kill the process mid-start. `received()` names the first
 * signal, or null; `remove()` takes the handlers off.
 *
 * @example
 * const early = holdSignalsWhileStarting();
 * await loadTasks();
 * early.remove();
 * if (early.received()) return 0; // stopped before it started
 */
export function holdSignalsWhileStarting(): { received: () => NodeJS.Signals | null; remove: () => void } {
  let first: NodeJS.Signals | null = null;
  const handler = (signal: NodeJS.Signals) => {
    first ??= signal;
  };
  for (const signal of SIGNALS) process.on(signal, handler);
  return {
    received: () => first,
    remove: () => {
      for (const signal of SIGNALS) process.off(signal, handler);
    },
  };
}

/**
 * The shutdown protocol for a worker process: the first SIGTERM/SIGINT/SIGQUIT stops the
 * worker gracefully (`worker.stop()`); a second one exits at once with code 1, leaving
 * running tasks to be re-queued when their lease lapses. Returns a function that removes
 * the handlers.
 *
 * @example
 * const worker = new Worker({ concurrency: 5 });
 * installSignalHandlers(worker, logger);
 * await worker.run();
 */
export function installSignalHandlers(worker: Worker, logger: Logger, options: SignalHandlerOptions = {}): () => void {
  let received = 0;
  const handler = (signal: NodeJS.Signals | "parent exit") => {
    received += 1;
    if (received === 1) {
      const message =
        signal === "parent exit"
          ? "parent process exited (npm does not pass SIGTERM on: start the worker with node, see the worker README): stopping (running tasks may finish); SIGTERM exits at once"
          : `${signal} received: stopping (running tasks may finish); send it again to exit at once`;
      logger.info(message, { running: worker.runningCount });
      void worker.stop();
      return;
    }
    logger.warn(`${signal} received again: exiting now`, { running: worker.runningCount });
    process.exit(1);
  };
  for (const signal of SIGNALS) process.on(signal, handler);
  let parentCheck: NodeJS.Timeout | undefined;
  if (options.stopWithParent ?? startedByNpm()) {
    const parent = process.ppid;
    parentCheck = setInterval(() => {
      if (process.ppid === parent) return;
      clearInterval(parentCheck);
      handler("parent exit");
    }, PARENT_CHECK_MS);
    parentCheck.unref();
  }
  return () => {
    for (const signal of SIGNALS) process.off(signal, handler);
    clearInterval(parentCheck);
  };
}
