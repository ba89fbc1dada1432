import type { Logger } from "./logger";
import type { Worker } from "./worker";

const SIGNALS = ["SIGTERM", "SIGINT", "SIGQUIT"] as const;

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
export function installSignalHandlers(worker: Worker, logger: Logger): () => void {
  let received = 0;
  const handler = (signal: NodeJS.Signals) => {
    received += 1;
    if (received === 1) {
      logger.info(`${signal} received: stopping (running tasks may finish); send it again to exit at once`, {
        running: worker.runningCount,
      });
      void worker.stop();
      return;
    }
    logger.warn(`${signal} received again: exiting now`, { running: worker.runningCount });
    process.exit(1);
  };
  for (const signal of SIGNALS) process.on(signal, handler);
  return () => {
    for (const signal of SIGNALS) process.off(signal, handler);
  };
}
