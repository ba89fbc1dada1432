import { type TaskStore, toErrandError } from "@errand/core/internal";
import type { Logger } from "./logger";

/** Seconds between two compactions of the dashboard's counters by one worker. */
export const COMPACT_INTERVAL_SECONDS = 60;

/**
 * Folds the counters behind `stats` (the dashboard) on a timer, from the worker, so that a
 * read never writes: `stats` works against a read-only replica, and its cost stays flat.
 * Several workers may run it; the store lets one compaction through at a time.
 *
 * @example
 * const compactor = new CountsCompactor({ store, logger });
 * compactor.start(); // ... compactor.stop();
 */
export class CountsCompactor {
  readonly #options: { store: TaskStore; logger: Logger; intervalSeconds?: number | undefined };
  #timer: ReturnType<typeof setInterval> | null = null;
  #running: Promise<void> | null = null;

  constructor(options: { store: TaskStore; logger: Logger; intervalSeconds?: number | undefined }) {
    this.#options = options;
  }

  start(): void {
    const seconds = this.#options.intervalSeconds ?? COMPACT_INTERVAL_SECONDS;
    this.#timer = setInterval(() => void this.run(), seconds * 1000);
    this.#timer.unref();
  }

  /** One compaction (a failure is logged; the next tick tries again). */
  run(): Promise<void> {
    this.#running ??= this.#options.store
      .taskCountsCompact()
      .catch((error: unknown) =>
        this.#options.logger.warn("counter compaction failed; will try again", { error: toErrandError(error).message }),
      )
      .finally(() => (this.#running = null));
    return this.#running;
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running;
  }
}
