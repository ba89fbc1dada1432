import { EventEmitter } from "node:events";
import type { Kysely } from "kysely";
import type { Database, TaskRow } from "@errand/db";
import {
  getBackend,
  InvalidTaskBackend,
  taskEvents,
  toErrandError,
  type DatabaseBackendLike,
  type TaskRecord,
} from "@errand/core";
import { emitTaskEvent, queries, rowToRecord } from "@errand/core/internal";
import { Backoff, sleep } from "./backoff";
import { InvalidWorkerOption, LeaseLost, WorkerShutdown } from "./errors";
import type { Logger } from "./logger";
import { LeaseKeeper } from "./lease-keeper";
import { NotifyListener } from "./notify-listener";
import { ResultFlusher } from "./result-flusher";
import { TaskAttempt, type AttemptOutcome } from "./task-attempt";
import { resolveWorkerOptions, type WorkerOptions } from "./worker-options";

export type { WorkerOptions } from "./worker-options";

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

  readonly #running = new Map<string, TaskAttempt>();
  /** Renews the leases of tasks running, or finished with the result not yet stored. */
  #leases: LeaseKeeper | null = null;
  #flusher: ResultFlusher | null = null;

  #claimed = 0;
  #finished = 0;
  readonly #claimBackoff = new Backoff();

  constructor(options: WorkerOptions = {}) {
    super();
    const resolved = resolveWorkerOptions(options);
    this.queues = resolved.queues;
    this.excludeQueues = resolved.excludeQueues;
    this.concurrency = resolved.concurrency;
    this.#interval = resolved.interval;
    this.workerId = resolved.workerId;
    this.#backendAlias = resolved.backend;
    this.#leaseSeconds = resolved.leaseSeconds;
    this.#graceSeconds = resolved.shutdownGraceSeconds;
    this.#batch = resolved.batch;
    this.#maxTasks = resolved.maxTasks;
    this.#duration = resolved.duration;
    this.#startupDelay = resolved.startupDelay;
    this.#rescueInterval = resolved.rescueIntervalSeconds;
    this.#listen = resolved.listen;
    this.#logger = resolved.logger;
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
      this.#flusher = this.#newFlusher(this.#db);
      this.#leases = this.#newLeaseKeeper(this.#db);
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
    this.#leases!.start();
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
    this.#leases?.stopRescuing();
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
        for (const attempt of this.#running.values()) {
          attempt.abort(new WorkerShutdown(this.workerId, this.#graceSeconds));
        }
        await this.#allRunningDone();
      }
    }
    await this.#flusher?.flushAll({ giveUpAfterMs: 30_000 });
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    this.#leases?.stop();
    await this.#listener?.close();
    this.#state = "stopped";
    this.#logger.info("worker stopped", { workerId: this.workerId, finished: this.#finished });
    this.emit("stopped");
    this.#resolveStopped();
  }

  async #allRunningDone(): Promise<void> {
    while (this.#running.size > 0) {
      // #taskDone runs first: it was chained onto each outcome when the attempt started.
      await Promise.all([...this.#running.values()].map((attempt) => attempt.outcome));
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
    const flusher = this.#flusher!;
    while (this.#state === "running") {
      const free = this.concurrency - this.#running.size;
      const budget = this.#maxTasks === null ? free : Math.min(free, this.#maxTasks - this.#claimed);
      if (budget > 0 && this.#mayHaveWork) {
        this.#mayHaveWork = false;
        const epoch = flusher.epoch;
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
        } else if (this.#batch && this.#running.size === 0 && flusher.settled && epoch === flusher.epoch) {
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
    const attempt = new TaskAttempt({ row, db: this.#db!, backend: this.#backend!, workerId: this.workerId });
    this.#running.set(row.id, attempt);
    this.#leases!.hold(row.id);
    this.#logger.info("task started", {
      taskId: row.id,
      taskName: row.task_name,
      attempt: row.attempts,
      queue: row.queue_name,
    });
    this.#announce("started", row);
    void attempt.outcome.then((outcome) => this.#taskDone(attempt, outcome));
  }

  #taskDone(attempt: TaskAttempt, outcome: AttemptOutcome): void {
    const { row } = attempt;
    this.#running.delete(row.id);
    this.#finished += 1;
    const fields = { taskId: row.id, taskName: row.task_name, attempt: row.attempts, durationMs: attempt.elapsedMs };
    if (attempt.lost) {
      this.#leases!.release(row.id);
      this.#logger.warn("task finished after its lease was lost; result dropped", fields);
    } else if (outcome.ok) {
      this.#flusher!.complete({ id: row.id, returnValue: outcome.returnValue });
      this.#logger.info("task finished", { ...fields, status: "SUCCESSFUL" });
    } else {
      // Logged by the flusher once stored: whether it is retried is taskFail's decision.
      this.#flusher!.fail({ id: row.id, error: outcome.error, retryDelay: outcome.retryDelay, log: fields });
    }
    this.#slotFreed();
    if (this.#maxTasks !== null && this.#finished >= this.#maxTasks && this.#state === "running") {
      this.#logger.info("max tasks reached; stopping", { maxTasks: this.#maxTasks });
      void this.stop();
    }
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

  #newFlusher(db: Kysely<Database>): ResultFlusher {
    return new ResultFlusher({
      db,
      workerId: this.workerId,
      logger: this.#logger,
      onStored: (sent, rows) => {
        for (const id of sent) this.#leases?.release(id);
        for (const row of rows) this.#announce("finished", row);
      },
      // A retry may be due at once (zero backoff), and batch mode must look again before
      // it decides nothing is left.
      onFlushed: ({ hadFailures }) => {
        if (hadFailures || this.#batch) this.#wake();
      },
    });
  }

  #newLeaseKeeper(db: Kysely<Database>): LeaseKeeper {
    return new LeaseKeeper({
      db,
      workerId: this.workerId,
      leaseSeconds: this.#leaseSeconds,
      rescueIntervalSeconds: this.#rescueInterval,
      logger: this.#logger,
      onLost: (id) => {
        const attempt = this.#running.get(id);
        // A result in the buffer was stored meanwhile, or the lease really lapsed.
        if (!attempt) return;
        attempt.lost = true;
        this.#logger.warn("lease lost; aborting the task's signal", { taskId: id, taskName: attempt.row.task_name });
        attempt.abort(new LeaseLost(id, this.workerId));
      },
      onRescued: () => this.#wake(),
    });
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
