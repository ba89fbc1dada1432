import type { TaskErrorRow } from "@errand/db";
import { isFinishedStatus, type TaskRecord } from "@errand/core";
import { recordFinished, type TaskOutcomeBrief, type TaskStore, toErrandError } from "@errand/core/internal";
import { Backoff, sleep } from "./backoff";
import type { LogFields, Logger } from "./logger";

/** A succeeded attempt waiting to be stored. */
export interface PendingCompletion {
  id: string;
  /** The return value as JSON text. */
  returnValue: string;
  /** When the function started: stored as the attempt's start. */
  startedAt?: Date | undefined;
  /** For `errand.tasks.finished` and `errand.task.duration`, once stored; only while metrics are on. */
  metric?: FinishedMetric | undefined;
}

/** What the finished counter and the duration histogram need of a stored outcome. */
export interface FinishedMetric {
  queue: string;
  task: string;
  durationSeconds: number;
}

/** A failed attempt waiting to be stored. */
export interface PendingFailure {
  id: string;
  error: TaskErrorRow;
  /** Seconds until the retry, or `null` for none (see `retryDelayFor`). */
  retryDelay: number | null;
  /** When the function started: stored as the attempt's start. */
  startedAt?: Date | undefined;
  /** Fields of its "task failed" line, written once the outcome is stored and its status known. */
  log?: LogFields | undefined;
  /** See `PendingCompletion.metric`: counted if the task is FAILED for good, not if it is retried. */
  metric?: FinishedMetric | undefined;
}

export interface ResultFlusherOptions {
  /** Where outcomes are stored (Postgres in a worker; any `TaskStore` in tests). */
  store: TaskStore;
  workerId: string;
  logger: Logger;
  /**
   * A statement answered for `sent`: those results are stored (`tasks`, as stored, when
   * `wantRecords` asked for them; else `null`) or were no longer this worker's to store.
   * Either way their leases need no more renewal.
   */
  onStored?: ((sent: string[], tasks: TaskRecord[] | null) => void) | undefined;
  /**
   * Whether the next flush should fetch the stored records (for `onStored`): only when
   * someone listens for them. Without, the store answers ids and statuses. Default never.
   */
  wantRecords?: (() => boolean) | undefined;
  /** After every flush, stored or not. `hadFailures`: a retry may be due already. */
  onFlushed?: ((info: { hadFailures: boolean }) => void) | undefined;
  /** Most results per statement. Default `MAX_FLUSH_BATCH`. */
  maxBatch?: number | undefined;
}

/**
 * Most results stored by one statement: past it a row gets no cheaper while the statement
 * holds its row locks ever longer ("Design measurements" in worker/bench/README.md).
 */
export const MAX_FLUSH_BATCH = 500;

/**
 * Stores attempts' outcomes in batches: one `taskComplete` and one `taskFail` statement for
 * everything that finished since the last flush. A flush starts on the next turn of the
 * event loop after a result arrives; while one is in flight, results pile up for the next
 * (group commit), so the batch grows with the load and an idle worker adds no delay (no
 * timer to wait out). It runs on its own pooled connection, in parallel with the next
 * claim, so a busy worker's cycle costs one round trip, not two (the figures behind this:
 * "Design measurements" in worker/bench/README.md).
 *
 * While the database is down, results wait in memory and the flush is retried with
 * backoff; nothing is lost, and re-sending is safe (a row already stored is no longer
 * RUNNING under this worker, so the statement skips it).
 *
 * @example
 * const flusher = new ResultFlusher({ store, workerId, logger });
 * flusher.complete({ id, returnValue: "null" });
 * await flusher.flushAll({ giveUpAfterMs: 30_000 });
 */
export class ResultFlusher {
  readonly #options: ResultFlusherOptions;
  readonly #maxBatch: number;
  #completions: PendingCompletion[] = [];
  #failures: PendingFailure[] = [];
  #flushing: Promise<void> | null = null;
  #scheduled = false;
  #epoch = 0;
  readonly #backoff = new Backoff();

  constructor(options: ResultFlusherOptions) {
    this.#options = options;
    this.#maxBatch = options.maxBatch ?? MAX_FLUSH_BATCH;
  }

  /** Buffers a success; a flush follows on the next turn of the event loop. */
  complete(completion: PendingCompletion): void {
    this.#completions.push(completion);
    this.#schedule();
  }

  /** Buffers a failure; a flush follows on the next turn of the event loop. */
  fail(failure: PendingFailure): void {
    this.#failures.push(failure);
    this.#schedule();
  }

  /** Results buffered, not counting a batch in flight. */
  get pendingCount(): number {
    return this.#completions.length + this.#failures.length;
  }

  /** Nothing buffered, in flight or about to flush: the database holds every result. */
  get settled(): boolean {
    return this.pendingCount === 0 && this.#flushing === null && !this.#scheduled;
  }

  /** Bumped after every flush, so a claim can tell whether it saw the latest stored state. */
  get epoch(): number {
    return this.#epoch;
  }

  /** Stores one batch now (or joins the flush in flight). On failure, the results stay buffered. */
  flush(): Promise<void> {
    if (this.#flushing) return this.#flushing;
    if (this.pendingCount === 0) return Promise.resolve();
    const hadFailures = this.#failures.length > 0;
    this.#flushing = this.#flushOnce().finally(() => {
      this.#flushing = null;
      this.#epoch += 1;
      if (this.pendingCount > 0) this.#schedule();
      this.#options.onFlushed?.({ hadFailures });
    });
    return this.#flushing;
  }

  /** Flushes until nothing is left, or logs what could not be stored after `giveUpAfterMs`. */
  async flushAll(options: { giveUpAfterMs: number }): Promise<void> {
    const deadline = Date.now() + options.giveUpAfterMs;
    while (this.pendingCount > 0 || this.#flushing) {
      if (Date.now() > deadline) {
        this.#options.logger.error(
          "could not store results before exiting; those tasks will be re-queued when their lease lapses",
          { ids: [...this.#completions, ...this.#failures].map((r) => r.id) },
        );
        return;
      }
      await this.flush();
    }
  }

  #schedule(): void {
    if (this.#scheduled || this.#flushing) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      void this.flush();
    });
  }

  async #flushOnce(): Promise<void> {
    const { store, workerId, logger } = this.#options;
    const completions = this.#completions.splice(0, this.#maxBatch);
    const failures = this.#failures.splice(0, this.#maxBatch);
    const flushStart = performance.now();
    const brief = !(this.#options.wantRecords?.() ?? false);
    const none = Promise.resolve([] as TaskRecord[] | TaskOutcomeBrief[]);
    const [done, failed] = await Promise.allSettled([
      completions.length ? store.taskComplete({ workerId, results: completions, brief }) : none,
      failures.length ? store.taskFail({ workerId, failures, brief }) : none,
    ]);
    let error: unknown = null;
    if (done.status === "fulfilled") this.#stored(completions, done.value);
    else {
      error = done.reason;
      this.#completions.unshift(...completions);
    }
    if (failed.status === "fulfilled") {
      this.#stored(failures, failed.value);
      this.#logFailures(failures, failed.value);
    } else {
      error = failed.reason;
      this.#failures.unshift(...failures);
    }
    if (error !== null) {
      const delay = this.#backoff.next();
      logger.warn("storing results failed; retrying", {
        error: toErrandError(error).message,
        pending: this.pendingCount,
        retryInMs: delay,
      });
      await sleep(delay);
    } else {
      this.#backoff.reset();
      logger.debug("stored results", {
        completed: completions.length,
        failed: failures.length,
        ms: Math.round((performance.now() - flushStart) * 10) / 10,
      });
    }
  }

  #stored(sent: { id: string }[], tasks: TaskRecord[] | TaskOutcomeBrief[]): void {
    if (sent.length === 0) return;
    if (tasks.length < sent.length) {
      const took = new Set(tasks.map((t) => t.id));
      const dropped = sent.filter((s) => !took.has(s.id)).map((s) => s.id);
      // Either an earlier send of these results committed and only its reply was lost, or
      // the lease lapsed and another worker took the task over.
      this.#options.logger.warn("results not stored: these tasks are no longer RUNNING under this worker", {
        ids: dropped,
      });
    }
    if ((sent[0] as PendingCompletion).metric) countFinished(sent as PendingCompletion[], tasks);
    this.#options.onStored?.(
      sent.map((s) => s.id),
      tasks.length > 0 && isRecord(tasks[0]!) ? (tasks as TaskRecord[]) : null,
    );
  }

  /**
   * "task failed", with the status `taskFail` stored: PENDING (retried in `retryInSeconds`)
   * or FAILED. The retry decision is read back here, not made again.
   */
  #logFailures(sent: PendingFailure[], tasks: TaskRecord[] | TaskOutcomeBrief[]): void {
    const byId = new Map(tasks.map((t) => [t.id, t]));
    for (const failure of sent) {
      const status = byId.get(failure.id)?.status;
      this.#options.logger.warn("task failed", {
        taskId: failure.id,
        ...failure.log,
        status,
        error: `${failure.error.exceptionClass}: ${failure.error.message}`,
        retryInSeconds: status === "PENDING" ? (failure.retryDelay ?? undefined) : undefined,
      });
    }
  }
}

/** Counts the stored outcomes that finished their task (SUCCESSFUL, or FAILED with no retry). */
function countFinished(sent: (PendingCompletion | PendingFailure)[], tasks: (TaskRecord | TaskOutcomeBrief)[]): void {
  const status = new Map(tasks.map((t) => [t.id, t.status]));
  for (const { id, metric } of sent) {
    const stored = status.get(id);
    if (metric && isFinishedStatus(stored)) recordFinished({ ...metric, status: stored });
  }
}

function isRecord(task: TaskRecord | TaskOutcomeBrief): task is TaskRecord {
  return "taskName" in task;
}
