import { EventEmitter } from "node:events";
import type { Kysely } from "kysely";
import type { Database, TaskErrorRow, TaskRow } from "@errand/db";
import {
  getBackend,
  isDoNotRetry,
  InvalidTaskBackend,
  taskEvents,
  TaskNotRegistered,
  TaskResult,
  toErrandError,
  type DatabaseBackendLike,
  type TaskRecord,
} from "@errand/core";
import {
  emitTaskEvent,
  errorToTaskError,
  queries,
  registeredTasks,
  rowToRecord,
  runTask,
  type RunOutcome,
} from "@errand/core/internal";
import { Backoff, sleep } from "./backoff";
import { InvalidWorkerOption, LeaseLost, WorkerShutdown } from "./errors";
import { createLogger, type Logger } from "./logger";
import { NotifyListener } from "./notify-listener";
import { defaultWorkerId, MAX_WORKER_ID_LENGTH } from "./worker-id";

/** Options of `new Worker()`. All optional. */
export interface WorkerOptions {
  /** Queue names to run, or `"*"` / `["*"]` for every queue. Default every queue. */
  queues?: readonly string[] | "*" | undefined;
  /** With `queues: "*"`: every queue but these. */
  excludeQueues?: readonly string[] | undefined;
  /** Tasks run at once. Default 10. */
  concurrency?: number | undefined;
  /** Seconds between polls, the fallback to LISTEN/NOTIFY. Default 1. */
  interval?: number | undefined;
  /** Stored on every task it claims. Default `host-pid-random`; at most 64 characters. */
  workerId?: string | undefined;
  /** Alias of a database backend from `configure()`. Default "default". */
  backend?: string | undefined;
  /** Seconds a claim holds without renewal before other workers may re-queue it. Default 30. */
  leaseSeconds?: number | undefined;
  /** Seconds `stop()` lets running tasks finish before aborting their `signal`. Default 30. */
  shutdownGraceSeconds?: number | undefined;
  /** Run what is due, then stop (cron use). Default false. */
  batch?: boolean | undefined;
  /** Stop after this many tasks finished (succeeded or failed). Default no limit. */
  maxTasks?: number | null | undefined;
  /** Stop after this many seconds. Default no limit. */
  duration?: number | null | undefined;
  /** Wait a random 0…this many seconds before the first claim (spreads a fleet). Default 0. */
  startupDelay?: number | undefined;
  /** Seconds between sweeps for lapsed leases. Default half the lease, at most 15. */
  rescueIntervalSeconds?: number | undefined;
  /** LISTEN for enqueues (else poll only). Default true. */
  listen?: boolean | undefined;
  /** Default: warnings and errors to stdout. The CLI passes an "info" logger. */
  logger?: Logger | undefined;
}

/** The worker's events. Payloads are snapshots of the task's row. */
export interface WorkerEvents {
  /** A task was claimed and is about to run (Django's `task_started`). */
  taskStarted: [record: TaskRecord];
  /**
   * An attempt's outcome is stored (Django's `task_finished`): SUCCESSFUL, FAILED, or
   * PENDING when it will be retried.
   */
  taskFinished: [record: TaskRecord];
  /** Batch mode: nothing due is left. The worker stops next. */
  drained: [];
  /** The worker stopped: nothing runs, results are stored, connections closed. */
  stopped: [];
}

interface Running {
  row: TaskRow;
  controller: AbortController;
  startedAt: number;
  /** The lease lapsed and another worker may own the task: drop this run's result. */
  lost: boolean;
  done: Promise<void>;
}

type Completion = { id: string; returnValue: string };
type Failure = { id: string; error: TaskErrorRow; retryDelay: number | null };

/**
 * Most results stored by one statement. Measured here (2 cores, local Postgres 15, load
 * average ≈8 from other jobs, so absolute figures are low; compare the ratios): one
 * `taskComplete` of 1 row took 2.9–4.4 ms, of 50 rows 7–13 ms (0.14–0.27 ms a row), of 500
 * rows 25–47 ms (0.05–0.10 ms a row), of 2,000 rows 112–154 ms (0.06–0.08 ms a row). Past
 * ≈500 a row gets no cheaper while the statement holds its row locks ever longer, so 500.
 */
const MAX_FLUSH_BATCH = 500;

/**
 * Runs enqueued tasks: claims due tasks of its queues (never more than its free slots),
 * runs them, stores their outcome, renews their lease while they run, and re-queues
 * tasks of workers that died.
 *
 * @example
 * const worker = new Worker({ queues: ["default", "email"], concurrency: 20 });
 * await worker.start();
 * process.on("SIGTERM", () => void worker.stop());
 * await worker.wait();
 */
export class Worker extends EventEmitter<WorkerEvents> {
  readonly workerId: string;
  readonly queues: readonly string[] | "*";
  readonly excludeQueues: readonly string[];
  readonly concurrency: number;
  readonly #interval: number;
  readonly #backendAlias: string;
  readonly #leaseSeconds: number;
  readonly #graceSeconds: number;
  readonly #batch: boolean;
  readonly #maxTasks: number | null;
  readonly #duration: number | null;
  readonly #startupDelay: number;
  readonly #rescueInterval: number;
  readonly #listen: boolean;
  readonly #logger: Logger;

  #backend: DatabaseBackendLike | null = null;
  #db: Kysely<Database> | null = null;
  #listener: NotifyListener | null = null;
  #timers: ReturnType<typeof setInterval>[] = [];

  #state: "new" | "running" | "stopping" | "stopped" = "new";
  #loopDone: Promise<void> = Promise.resolve();
  #stopPromise: Promise<void> | null = null;
  #resolveStopped!: () => void;
  readonly #stopped: Promise<void>;

  /** Set when a claim may find something: a notification, a poll tick, a full batch. */
  #mayHaveWork = true;
  #wakeLoop: (() => void) | null = null;
  #wakeScheduled = false;

  readonly #running = new Map<string, Running>();
  /** Ids this worker holds a lease on: running, or finished with the result not yet stored. */
  readonly #held = new Set<string>();
  #completions: Completion[] = [];
  #failures: Failure[] = [];
  #flushing: Promise<void> | null = null;
  #flushScheduled = false;
  /** Bumped after every flush, so batch mode knows whether a claim saw the latest state. */
  #flushEpoch = 0;

  #claimed = 0;
  #finished = 0;
  #renewing = false;
  readonly #claimBackoff = new Backoff();
  readonly #flushBackoff = new Backoff();

  constructor(options: WorkerOptions = {}) {
    super();
    this.queues = normalizeQueues(options.queues);
    this.excludeQueues = options.excludeQueues ? [...new Set(options.excludeQueues)] : [];
    if (this.excludeQueues.length > 0 && this.queues !== "*") {
      throw new InvalidWorkerOption(
        "excludeQueues",
        `excludeQueues only goes with queues "*" (every queue but these).`,
      );
    }
    this.concurrency = positiveInteger("concurrency", options.concurrency ?? 10);
    this.#interval = nonNegative("interval", options.interval ?? 1);
    this.workerId = options.workerId ?? defaultWorkerId();
    if (
      typeof this.workerId !== "string" ||
      this.workerId.length === 0 ||
      this.workerId.length > MAX_WORKER_ID_LENGTH
    ) {
      throw new InvalidWorkerOption(
        "workerId",
        `workerId must be 1 to ${MAX_WORKER_ID_LENGTH} characters, got ${JSON.stringify(this.workerId)}.`,
      );
    }
    this.#backendAlias = options.backend ?? "default";
    this.#leaseSeconds = positive("leaseSeconds", options.leaseSeconds ?? 30);
    this.#graceSeconds = nonNegative("shutdownGraceSeconds", options.shutdownGraceSeconds ?? 30);
    this.#batch = options.batch ?? false;
    this.#maxTasks = options.maxTasks == null ? null : positiveInteger("maxTasks", options.maxTasks);
    this.#duration = options.duration == null ? null : positive("duration", options.duration);
    this.#startupDelay = nonNegative("startupDelay", options.startupDelay ?? 0);
    this.#rescueInterval = positive(
      "rescueIntervalSeconds",
      options.rescueIntervalSeconds ?? Math.min(this.#leaseSeconds / 2, 15),
    );
    this.#listen = options.listen ?? true;
    this.#logger = options.logger ?? createLogger({ level: "warn" });
    this.#stopped = new Promise((resolve) => (this.#resolveStopped = resolve));
  }

  /** Tasks running now. */
  get runningCount(): number {
    return this.#running.size;
  }

  /** Attempts finished (succeeded, failed or dropped) since start. */
  get finishedCount(): number {
    return this.#finished;
  }

  /** "new", "running", "stopping" or "stopped". */
  get state(): "new" | "running" | "stopping" | "stopped" {
    return this.#state;
  }

  /**
   * Connects, starts listening and claiming. Resolves once the worker runs; `wait()`
   * resolves when it stops.
   *
   * @throws InvalidTaskBackend when the backend is not a database backend.
   */
  async start(): Promise<void> {
    if (this.#state !== "new")
      throw new InvalidWorkerOption("start", "This worker was already started; create a new Worker.");
    this.#state = "running";
    try {
      const backend = getBackend(this.#backendAlias);
      if (backend.kind !== "database") {
        throw new InvalidTaskBackend(
          this.#backendAlias,
          `Backend "${this.#backendAlias}" is a ${backend.kind} backend; a worker needs a database backend (--backend).`,
        );
      }
      this.#backend = backend as DatabaseBackendLike;
      this.#db = await this.#backend.getDb();
      if (this.#startupDelay > 0) await sleep(Math.random() * this.#startupDelay * 1000);
      const connectionString = this.#listen ? await this.#backend.getConnectionString() : "";
      if (this.#listen && !connectionString) {
        // A backend configured with its own Kysely instance (`db`) and no `url`: there is
        // no address to open the LISTEN connection to.
        this.#logger.warn("backend has no connection string (set its url); polling only, no LISTEN/NOTIFY");
      }
      if (this.#listen && connectionString) {
        this.#listener = new NotifyListener({
          connectionString,
          logger: this.#logger,
          onNotify: (queue) => {
            if (this.queues === "*" ? !this.excludeQueues.includes(queue) : this.queues.includes(queue)) this.#wake();
          },
          onReconnect: () => this.#wake(),
        });
        await this.#listener.start();
      }
      if (this.#state !== "running") {
        // stop() was called while starting; it has already finished.
        await this.#listener?.close();
        return;
      }
    } catch (error) {
      this.#state = "stopped";
      await this.#listener?.close();
      this.#resolveStopped();
      throw error;
    }
    this.#timers.push(setInterval(() => this.#wake(), Math.max(this.#interval * 1000, 10)));
    this.#timers.push(unref(setInterval(() => void this.#renewLeases(), (this.#leaseSeconds * 1000) / 3)));
    this.#timers.push(unref(setInterval(() => void this.#rescue(), this.#rescueInterval * 1000)));
    if (this.#duration !== null) {
      const timer = setTimeout(() => {
        this.#logger.info("duration reached; stopping", { durationSeconds: this.#duration });
        void this.stop();
      }, this.#duration * 1000);
      this.#timers.push(timer);
    }
    this.#logger.info("worker started", {
      workerId: this.workerId,
      queues: this.queues === "*" ? "*" : this.queues.join(","),
      concurrency: this.concurrency,
      batch: this.#batch || undefined,
      listening: this.#listener?.connected ?? false,
    });
    void this.#rescue();
    this.#loopDone = this.#loop();
  }

  /** Resolves when the worker has stopped (after `stop()`, a drained batch, `maxTasks` or `duration`). */
  wait(): Promise<void> {
    return this.#stopped;
  }

  /** `start()` then `wait()`. */
  async run(): Promise<void> {
    await this.start();
    await this.wait();
  }

  /**
   * Graceful stop: claims nothing more, gives back tasks claimed but not started, lets
   * running tasks finish for `shutdownGraceSeconds`, then aborts their `signal` (their
   * attempt is stored as failed and retried), stores every result and disconnects.
   */
  stop(): Promise<void> {
    if (this.#stopPromise) return this.#stopPromise;
    if (this.#state === "new" || this.#state === "stopped") {
      this.#state = "stopped";
      this.#resolveStopped();
      this.#stopPromise = Promise.resolve();
      return this.#stopPromise;
    }
    this.#state = "stopping";
    this.#wake();
    this.#stopPromise = this.#shutdown();
    return this.#stopPromise;
  }

  async #shutdown(): Promise<void> {
    await this.#loopDone;
    if (this.#running.size > 0) {
      this.#logger.info("waiting for running tasks to finish", {
        running: this.#running.size,
        graceSeconds: this.#graceSeconds,
      });
      let graceTimer: ReturnType<typeof setTimeout> | undefined;
      const graceOver = new Promise<"grace">((resolve) => {
        graceTimer = setTimeout(() => resolve("grace"), this.#graceSeconds * 1000);
      });
      const outcome = await Promise.race([this.#allRunningDone().then(() => "done" as const), graceOver]);
      clearTimeout(graceTimer);
      if (outcome === "grace") {
        this.#logger.warn("grace period over; aborting running tasks", { running: this.#running.size });
        for (const entry of this.#running.values()) {
          entry.controller.abort(new WorkerShutdown(this.workerId, this.#graceSeconds));
        }
        await this.#allRunningDone();
      }
    }
    await this.#flushAll({ giveUpAfterMs: 30_000 });
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    await this.#listener?.close();
    this.#state = "stopped";
    this.#logger.info("worker stopped", { workerId: this.workerId, finished: this.#finished });
    this.emit("stopped");
    this.#resolveStopped();
  }

  async #allRunningDone(): Promise<void> {
    while (this.#running.size > 0) {
      await Promise.all([...this.#running.values()].map((r) => r.done));
    }
  }

  // ---- the claim loop ------------------------------------------------------------------

  #wake(): void {
    this.#mayHaveWork = true;
    const wake = this.#wakeLoop;
    this.#wakeLoop = null;
    wake?.();
  }

  /**
   * A slot freed up. Deferred to the next turn of the event loop so that tasks finishing
   * together free their slots together and are refilled by one claim, not one claim each.
   * Measured (same conditions as MAX_FLUSH_BATCH): claiming 25 tasks with one statement and
   * completing them with one drained 1,220–1,510 no-op tasks/s; claiming them one at a
   * time (25 statements) 200–580/s.
   */
  #slotFreed(): void {
    if (this.#wakeScheduled) return;
    this.#wakeScheduled = true;
    setImmediate(() => {
      this.#wakeScheduled = false;
      const wake = this.#wakeLoop;
      this.#wakeLoop = null;
      wake?.();
    });
  }

  async #loop(): Promise<void> {
    const db = this.#db!;
    while (this.#state === "running") {
      const free = this.concurrency - this.#running.size;
      const budget = this.#maxTasks === null ? free : Math.min(free, this.#maxTasks - this.#claimed);
      if (budget > 0 && this.#mayHaveWork) {
        this.#mayHaveWork = false;
        const epoch = this.#flushEpoch;
        let rows: TaskRow[];
        const claimStart = performance.now();
        try {
          rows = await queries.taskClaimBatch(db, {
            queues: this.queues,
            excludeQueues: this.excludeQueues,
            limit: budget,
            workerId: this.workerId,
            leaseSeconds: this.#leaseSeconds,
          });
          if (this.#claimBackoff.failing) this.#logger.info("database reachable again; claiming");
          this.#claimBackoff.reset();
        } catch (error) {
          // The claim may have committed with its reply lost: those rows stay RUNNING under
          // this worker's id until their lease lapses and a rescue re-queues them.
          const delay = this.#claimBackoff.next();
          this.#logger.warn("claim failed; retrying", { error: toErrandError(error).message, retryInMs: delay });
          this.#mayHaveWork = true;
          await this.#idle(delay);
          continue;
        }
        if (this.#state !== "running") {
          // stop() came while the claim was in flight: give these back untouched.
          await this.#release(rows);
          break;
        }
        this.#claimed += rows.length;
        this.#logger.debug("claimed", { asked: budget, got: rows.length, ms: round(performance.now() - claimStart) });
        for (const row of rows) this.#startTask(row);
        if (rows.length === budget) {
          // A full batch: more may be due. Claim again as soon as slots free up.
          this.#mayHaveWork = true;
        } else if (this.#batch && this.#running.size === 0 && this.#isSettled() && epoch === this.#flushEpoch) {
          this.#logger.info("nothing due is left; batch done", { finished: this.#finished });
          this.emit("drained");
          void this.stop();
          break;
        }
        if (this.#maxTasks !== null && this.#claimed >= this.#maxTasks) {
          this.#logger.info("max tasks claimed; finishing them, then stopping", { maxTasks: this.#maxTasks });
          break;
        }
        continue;
      }
      await this.#idle(null);
    }
  }

  /** Waits for a wake-up (notification, poll tick, freed slot, stop), or `ms`. */
  #idle(ms: number | null): Promise<void> {
    if (this.#state !== "running") return Promise.resolve();
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      this.#wakeLoop = () => {
        if (timer) clearTimeout(timer);
        resolve();
      };
      if (ms !== null) {
        timer = setTimeout(() => {
          this.#wakeLoop = null;
          resolve();
        }, ms);
      }
    });
  }

  #isSettled(): boolean {
    return (
      this.#completions.length === 0 && this.#failures.length === 0 && this.#flushing === null && !this.#flushScheduled
    );
  }

  async #release(rows: TaskRow[]): Promise<void> {
    if (rows.length === 0) return;
    const ids = rows.map((r) => r.id);
    const backoff = new Backoff();
    for (let tries = 0; ; tries++) {
      try {
        await queries.taskRelease(this.#db!, { workerId: this.workerId, ids });
        this.#logger.info("released tasks claimed but not started", { count: ids.length });
        return;
      } catch (error) {
        if (tries >= 10) {
          this.#logger.error("could not release claimed tasks; they will be re-queued when their lease lapses", {
            error: toErrandError(error).message,
            ids,
          });
          return;
        }
        await sleep(backoff.next());
      }
    }
  }

  // ---- running one task ----------------------------------------------------------------

  #startTask(row: TaskRow): void {
    const controller = new AbortController();
    const entry: Running = { row, controller, startedAt: performance.now(), lost: false, done: Promise.resolve() };
    this.#running.set(row.id, entry);
    this.#held.add(row.id);
    this.#logger.info("task started", {
      taskId: row.id,
      taskName: row.task_name,
      attempt: row.attempts,
      queue: row.queue_name,
    });
    this.#announce("started", row);
    entry.done = this.#execute(row, controller.signal).then(
      (outcome) => this.#taskDone(entry, outcome),
      (error: unknown) => this.#taskDone(entry, { ok: false, error }),
    );
  }

  async #execute(row: TaskRow, signal: AbortSignal): Promise<RunOutcome> {
    const task = registeredTasks().get(row.task_name);
    if (!task) return { ok: false, error: new TaskNotRegistered(row.task_name) };
    const db = this.#db!;
    return runTask({
      task,
      result: new TaskResult(rowToRecord(row), this.#backend!),
      attempt: row.attempts,
      signal,
      setProgress: async (done, total) => {
        await queries.taskSetProgress(db, { id: row.id, workerId: this.workerId, done, total });
      },
    });
  }

  #taskDone(entry: Running, outcome: RunOutcome): void {
    const { row } = entry;
    this.#running.delete(row.id);
    this.#finished += 1;
    const durationMs = round(performance.now() - entry.startedAt);
    const fields = { taskId: row.id, taskName: row.task_name, attempt: row.attempts, durationMs };
    if (entry.lost) {
      this.#held.delete(row.id);
      this.#logger.warn("task finished after its lease was lost; result dropped", fields);
    } else if (outcome.ok) {
      this.#completions.push({ id: row.id, returnValue: outcome.json });
      this.#logger.info("task finished", { ...fields, status: "SUCCESSFUL" });
    } else {
      const failure = this.#failureFor(row, outcome.error);
      this.#failures.push(failure);
      const willRetry = failure.retryDelay !== null && row.attempts < row.max_attempts;
      this.#logger.warn("task failed", {
        ...fields,
        status: willRetry ? "PENDING" : "FAILED",
        error: `${failure.error.exceptionClass}: ${failure.error.message}`,
        retryInSeconds: willRetry ? failure.retryDelay : undefined,
      });
    }
    this.#scheduleFlush();
    this.#slotFreed();
    if (this.#maxTasks !== null && this.#finished >= this.#maxTasks && this.#state === "running") {
      this.#logger.info("max tasks reached; stopping", { maxTasks: this.#maxTasks });
      void this.stop();
    }
  }

  #failureFor(row: TaskRow, error: unknown): Failure {
    const taskError = errorToTaskError(error, row.attempts);
    const errorRow: TaskErrorRow = { ...taskError, failedAt: taskError.failedAt.toISOString() };
    if (error instanceof TaskNotRegistered || isDoNotRetry(error))
      return { id: row.id, error: errorRow, retryDelay: null };
    // Aborted by shutdown: not the task's fault, so retry at once (the attempt still counts).
    if (error instanceof WorkerShutdown) return { id: row.id, error: errorRow, retryDelay: 0 };
    let delay: number;
    try {
      delay = registeredTasks().get(row.task_name)?.backoff(row.attempts) ?? 0;
    } catch {
      delay = row.attempts ** 4 + 5;
    }
    if (!Number.isFinite(delay) || delay < 0) delay = 0;
    return { id: row.id, error: errorRow, retryDelay: delay };
  }

  /**
   * Emits this worker's `taskStarted`/`taskFinished` and core's `taskEvents` (Django's
   * `task_started`/`task_finished`). The snapshot is built only when someone listens, and
   * a listener that throws is logged: it must not break the claim loop.
   */
  #announce(event: "started" | "finished", row: TaskRow): void {
    const own = event === "started" ? "taskStarted" : "taskFinished";
    if (this.listenerCount(own) === 0 && taskEvents.listenerCount(event) === 0) return;
    const record = rowToRecord(row);
    try {
      this.emit(own, record);
    } catch (error) {
      this.#logger.error(`a "${own}" listener threw; carrying on`, { error: toErrandError(error).message });
    }
    emitTaskEvent(event, record);
  }

  // ---- storing outcomes ----------------------------------------------------------------

  /**
   * Results are stored in batches: one `taskComplete` and one `taskFail` statement for
   * everything that finished since the last flush. A flush starts on the next turn of the
   * event loop after a task finishes; while one is in flight, results pile up for the next
   * (group commit), so the batch grows with the load and an idle worker adds no delay (no
   * timer to wait out). It runs on its own pooled connection, in parallel with the next
   * claim, so a busy worker's cycle costs one round trip, not two.
   * Measured (same conditions as MAX_FLUSH_BATCH), claims of 25: completing the 25 with one
   * statement drained 1,220–1,510 no-op tasks/s; with one statement each, 220–600/s
   * sequentially and 300–370/s in parallel over a pool of 10. Against a bare loop that
   * claims c rows and completes them in one statement while claiming the next (run
   * alternately, 3,000 tasks, load average 4–7): c=10, worker 1,280–1,720/s, loop
   * 1,290–1,400/s; c=50, worker 2,950–4,070/s, loop 3,050–6,120/s. A CPU profile of the
   * worker at c=50 is 44 % idle (waiting on Postgres); its own per-task work is under 5 %.
   */
  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#flushing) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      void this.#flush();
    });
  }

  #flush(): Promise<void> {
    if (this.#flushing) return this.#flushing;
    if (this.#completions.length === 0 && this.#failures.length === 0) return Promise.resolve();
    const hadFailures = this.#failures.length > 0;
    this.#flushing = this.#flushOnce().finally(() => {
      this.#flushing = null;
      this.#flushEpoch += 1;
      if (this.#completions.length > 0 || this.#failures.length > 0) this.#scheduleFlush();
      // A retry may be due at once (zero backoff), and batch mode must look again before
      // it decides nothing is left.
      if (hadFailures || this.#batch) this.#wake();
    });
    return this.#flushing;
  }

  async #flushOnce(): Promise<void> {
    const db = this.#db!;
    const completions = this.#completions.splice(0, MAX_FLUSH_BATCH);
    const failures = this.#failures.splice(0, MAX_FLUSH_BATCH);
    const flushStart = performance.now();
    const [done, failed] = await Promise.allSettled([
      completions.length
        ? queries.taskComplete(db, { workerId: this.workerId, results: completions })
        : Promise.resolve([]),
      failures.length ? queries.taskFail(db, { workerId: this.workerId, failures }) : Promise.resolve([]),
    ]);
    let error: unknown = null;
    if (done.status === "fulfilled") this.#stored(completions, done.value);
    else {
      error = done.reason;
      this.#completions.unshift(...completions);
    }
    if (failed.status === "fulfilled") this.#stored(failures, failed.value);
    else {
      error = failed.reason;
      this.#failures.unshift(...failures);
    }
    if (error !== null) {
      // Nothing is lost: the results stay buffered (and their leases renewed) until the
      // database answers. Re-sending is safe: a row already stored is no longer RUNNING
      // under this worker, so the statement skips it.
      const delay = this.#flushBackoff.next();
      this.#logger.warn("storing results failed; retrying", {
        error: toErrandError(error).message,
        pending: this.#completions.length + this.#failures.length,
        retryInMs: delay,
      });
      await sleep(delay);
    } else {
      this.#flushBackoff.reset();
      this.#logger.debug("stored results", {
        completed: completions.length,
        failed: failures.length,
        ms: round(performance.now() - flushStart),
      });
    }
  }

  #stored(sent: { id: string }[], rows: TaskRow[]): void {
    for (const item of sent) this.#held.delete(item.id);
    if (rows.length < sent.length) {
      const took = new Set(rows.map((r) => r.id));
      const dropped = sent.filter((s) => !took.has(s.id)).map((s) => s.id);
      // Either an earlier send of these results committed and only its reply was lost, or
      // the lease lapsed and another worker took the task over.
      this.#logger.warn("results not stored: these tasks are no longer RUNNING under this worker", { ids: dropped });
    }
    for (const row of rows) this.#announce("finished", row);
  }

  async #flushAll(options: { giveUpAfterMs: number }): Promise<void> {
    const deadline = Date.now() + options.giveUpAfterMs;
    while (this.#completions.length > 0 || this.#failures.length > 0 || this.#flushing) {
      if (Date.now() > deadline) {
        this.#logger.error(
          "could not store results before exiting; those tasks will be re-queued when their lease lapses",
          {
            ids: [...this.#completions, ...this.#failures].map((r) => r.id),
          },
        );
        return;
      }
      await this.#flush();
    }
  }

  // ---- leases --------------------------------------------------------------------------

  async #renewLeases(): Promise<void> {
    // A slow database must not pile up renewals: one at a time.
    if (this.#held.size === 0 || !this.#db || this.#renewing) return;
    const ids = [...this.#held];
    let kept: string[];
    this.#renewing = true;
    try {
      kept = await queries.taskRenewLease(this.#db, { workerId: this.workerId, ids, leaseSeconds: this.#leaseSeconds });
    } catch (error) {
      this.#logger.warn("lease renewal failed; will retry", { error: toErrandError(error).message, tasks: ids.length });
      return;
    } finally {
      this.#renewing = false;
    }
    if (kept.length === ids.length) return;
    const keptSet = new Set(kept);
    for (const id of ids) {
      if (keptSet.has(id) || !this.#held.has(id)) continue;
      const entry = this.#running.get(id);
      // A result in the buffer was stored meanwhile, or the lease really lapsed.
      if (!entry) continue;
      entry.lost = true;
      this.#logger.warn("lease lost; aborting the task's signal", { taskId: id, taskName: entry.row.task_name });
      entry.controller.abort(new LeaseLost(id, this.workerId));
    }
  }

  /** Re-queues tasks whose worker stopped renewing their lease (any worker may do it). */
  async #rescue(): Promise<void> {
    if (!this.#db || this.#state !== "running") return;
    try {
      const rows = await queries.taskRescueExpired(this.#db, { limit: 1000 });
      if (rows.length > 0) {
        this.#logger.warn("re-queued tasks whose lease lapsed", {
          count: rows.length,
          ids: rows.slice(0, 20).map((r) => r.id),
          requeued: rows.filter((r) => r.status === "PENDING").length,
        });
        this.#wake();
      }
    } catch (error) {
      this.#logger.warn("lease rescue failed; will retry", { error: toErrandError(error).message });
    }
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function unref<T extends { unref(): unknown }>(timer: T): T {
  timer.unref();
  return timer;
}

function normalizeQueues(queues: readonly string[] | "*" | undefined): readonly string[] | "*" {
  if (queues === undefined || queues === "*") return "*";
  if (!Array.isArray(queues) || queues.length === 0) {
    throw new InvalidWorkerOption("queues", `queues must be "*" or a non-empty list of queue names.`);
  }
  if (queues.includes("*")) {
    if (queues.length > 1)
      throw new InvalidWorkerOption("queues", `"*" means every queue; do not list other queues with it.`);
    return "*";
  }
  for (const q of queues) {
    if (typeof q !== "string" || q.length === 0 || q.length > 32) {
      throw new InvalidWorkerOption("queues", `Queue names are 1 to 32 characters, got ${JSON.stringify(q)}.`);
    }
  }
  return [...new Set(queues)];
}

function positiveInteger(name: string, value: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new InvalidWorkerOption(name, `${name} must be a positive integer, got ${String(value)}.`);
  }
  return value;
}

function positive(name: string, value: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new InvalidWorkerOption(name, `${name} must be a positive number of seconds, got ${String(value)}.`);
  }
  return value;
}

function nonNegative(name: string, value: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new InvalidWorkerOption(name, `${name} must be a number of seconds >= 0, got ${String(value)}.`);
  }
  return value;
}
