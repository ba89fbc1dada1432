import { EventEmitter } from "node:events";
import type { TaskErrorRow } from "@errand/db";
import type { TaskRecord } from "@errand/core";
import { QUEUES_CHANNEL } from "@errand/db";
import {
  addQueueDepthSource,
  metricsActive,
  PostgresTaskStore,
  recordQueueLag,
  toErrandError,
  telemetryReady,
} from "@errand/core/internal";
import { sleep } from "./backoff";
import { InvalidWorkerOption, WorkerShutdown } from "./errors";
import type { Heartbeat } from "./heartbeat/heartbeat";
import type { Logger } from "./logger";
import { openNotifyListener, type NotifyListener } from "./notify-listener";
import { BackgroundJobs } from "./background-jobs";
import { TaskAttempt, type AttemptOutcome } from "./task-attempt";
import { serveMetrics, type MetricsServer } from "./metrics-server";
import { trackLiveWorker } from "./live-workers";
import { TaskEventAnnouncer, type WorkerEvents } from "./worker-events";
import {
  databaseBackend,
  newClaimLoop,
  newHeartbeat,
  newLeaseKeeper,
  newResultFlusher,
  type Parts,
  type PartsHost,
} from "./worker-parts";
import { resolveWorkerOptions, type ResolvedWorkerOptions, type WorkerOptions } from "./worker-options";

export type { WorkerOptions } from "./worker-options";
export type { WorkerEvents } from "./worker-events";

/**
 * Runs enqueued tasks: claims due tasks of its queues (for its free slots and, sized from
 * its throughput, ahead of them), runs them, stores their outcome, renews their lease while they run, and re-queues
 * tasks of workers that died.
 *
 * This class is the lifecycle (start, graceful stop, `maxTasks`, `duration`, the poll
 * timer and LISTEN/NOTIFY waking the loop, events) and wires the parts that do the work:
 * a `ClaimLoop` claims, a `TaskAttempt` runs each claimed task, a `ResultFlusher` stores
 * outcomes, a `LeaseKeeper` renews and rescues leases (`worker-parts.ts` builds them); a
 * `TaskEventAnnouncer` emits the task events; `resolveWorkerOptions` checks the options.
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
  readonly #options: ResolvedWorkerOptions;
  readonly #logger: Logger;
  readonly #announcer: TaskEventAnnouncer;
  /** What the parts call back into: this worker's attempts, wake-ups and lifecycle. */
  readonly #host: PartsHost;

  #parts: Parts | null = null;
  #timers: ReturnType<typeof setTimeout>[] = [];

  #state: "new" | "running" | "stopping" | "stopped" = "new";
  #loopDone: Promise<void> = Promise.resolve();
  #stopPromise: Promise<void> | null = null;
  #resolveStopped!: () => void;
  readonly #stopped: Promise<void>;

  readonly #running = new Map<string, TaskAttempt>();
  /** Takes this worker's store out of `errand.queue.depth`'s sources. */
  #removeDepthSource: () => void = () => {};
  #finished = 0;

  constructor(options: WorkerOptions = {}) {
    super();
    this.#options = resolveWorkerOptions(options);
    this.workerId = this.#options.workerId;
    this.queues = this.#options.queues;
    this.excludeQueues = this.#options.excludeQueues;
    this.concurrency = this.#options.concurrency;
    this.#logger = this.#options.logger;
    this.#stopped = new Promise((resolve) => (this.#resolveStopped = resolve));
    this.#announcer = new TaskEventAnnouncer(this, this.#logger);
    this.#host = {
      workerId: this.workerId,
      options: this.#options,
      logger: this.#logger,
      announcer: this.#announcer,
      parts: () => this.#parts,
      attempt: (id) => this.#running.get(id),
      runningCount: () => this.#running.size,
      wake: () => this.#wake(),
      startAttempt: (task) => this.#startAttempt(task),
      drained: () => {
        this.#logger.info("nothing due is left; batch done", { finished: this.#finished });
        this.emit("drained");
        void this.stop();
      },
    };
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
    trackLiveWorker(this, this.#stopped);
    let listener: NotifyListener | null = null;
    let heartbeat: Heartbeat | null = null;
    let metrics: MetricsServer | null = null;
    try {
      // Before the first attempt: each attempt's span needs the API at hand, not a promise.
      await telemetryReady();
      const backend = databaseBackend(this.#options.backend);
      const db = await backend.getDb();
      const store = new PostgresTaskStore(db);
      if (this.#options.metricsPort !== null) metrics = await serveMetrics(this.#options.metricsPort);
      this.#removeDepthSource = addQueueDepthSource(async () => (await store.taskStats()).byQueue);
      const { startupDelay, listen } = this.#options;
      const jobs = new BackgroundJobs({
        db: await backend.getDb(),
        store,
        workerId: this.workerId,
        running: (id) => this.#running.get(id),
        runningCount: () => this.#running.size,
        pollSeconds: this.#options.interval,
        retention: this.#options.retention,
        schedules: this.#options.batch ? [] : this.#options.schedules,
        logger: this.#logger,
      });
      if (startupDelay > 0) await sleep(Math.random() * startupDelay * 1000);
      const connectionString = await backend.getConnectionString();
      if (connectionString) heartbeat = await newHeartbeat(this.#host, connectionString);
      else {
        this.#logger.warn(
          "backend has no connection string (set its url); leases are renewed by the event loop, not a heartbeat thread",
        );
      }
      if (listen) {
        listener = await openNotifyListener({
          listenUrl: this.#options.listenUrl ?? backend.listenUrl ?? connectionString,
          db,
          logger: this.#logger,
          onNotify: (queue) => {
            if (this.queues === "*" ? !this.excludeQueues.includes(queue) : this.queues.includes(queue)) this.#wake();
          },
          channels: { ...jobs.channels, [QUEUES_CHANNEL]: () => void this.#refreshPaused() },
          onReconnect: () => {
            this.#wake();
            jobs.onReconnect();
            void this.#refreshPaused();
          },
        });
      }
      if (this.#state !== "running") {
        // stop() was called while starting; it has already finished.
        await listener?.close();
        await heartbeat?.stop();
        await metrics?.close();
        this.#removeDepthSource();
        return;
      }
      const flusher = newResultFlusher(this.#host, store);
      const leases = newLeaseKeeper(this.#host, store, heartbeat);
      const loop = newClaimLoop(this.#host, store, flusher);
      this.#parts = { backend, store, listener, flusher, heartbeat, leases, loop, jobs, metrics };
    } catch (error) {
      this.#state = "stopped";
      await listener?.close();
      await heartbeat?.stop();
      await metrics?.close();
      this.#removeDepthSource();
      this.#resolveStopped();
      throw error;
    }
    this.#startTimers();
    this.#logger.info("worker started", {
      workerId: this.workerId,
      queues: this.queues === "*" ? "*" : this.queues.join(","),
      concurrency: this.concurrency,
      batch: this.#options.batch || undefined,
      listening: listener?.connected ?? false,
      heartbeat: this.#parts.heartbeat !== null,
      metricsPort: metrics?.port,
    });
    this.#parts.leases.start();
    this.#parts.jobs.start();
    await this.#refreshPaused();
    this.#loopDone = this.#parts.loop.run();
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
   * Graceful stop: claims nothing more, gives back tasks claimed but not started (the
   * local queue), lets
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
    // `parts` is null while start() is still connecting; it will see the state and return.
    const parts = this.#parts;
    parts?.leases.stopRescuing();
    parts?.loop.stop();
    this.#stopPromise = this.#shutdown(parts);
    return this.#stopPromise;
  }

  // ---- lifecycle -----------------------------------------------------------------------

  /** Something may be due (a notification, a poll tick, a rescue, a stored retry). */
  #wake(): void {
    this.#parts?.loop.wake();
  }

  /**
   * Reads the paused queues and tells the claim loop, which gives back what it claimed ahead
   * of them. On a pause/resume NOTIFY, and on each poll tick while tasks wait in the local
   * queue (the fallback when a notification was missed).
   */
  async #refreshPaused(): Promise<void> {
    const parts = this.#parts;
    if (!parts) return;
    try {
      await parts.loop.setPaused(await parts.store.queuePausedNames());
    } catch (error) {
      this.#logger.warn("could not read the paused queues; trying again at the next poll", {
        error: toErrandError(error).message,
      });
    }
  }

  #startTimers(): void {
    const { interval, duration } = this.#options;
    this.#timers.push(
      setInterval(
        () => {
          this.#wake();
          if ((this.#parts?.loop.queued ?? 0) > 0) void this.#refreshPaused();
        },
        Math.max(interval * 1000, 10),
      ),
    );
    const ratePoll = this.#parts?.loop.rateLimitPollMs ?? null;
    if (ratePoll !== null) this.#timers.push(setInterval(() => this.#wake(), ratePoll));
    if (duration !== null) {
      const timer = setTimeout(() => {
        this.#logger.info("duration reached; stopping", { durationSeconds: duration });
        void this.stop();
      }, duration * 1000);
      this.#timers.push(timer);
    }
  }

  async #shutdown(parts: Parts | null): Promise<void> {
    await this.#loopDone;
    await parts?.loop.giveBack();
    if (this.#running.size > 0) {
      const graceSeconds = this.#options.shutdownGraceSeconds;
      this.#logger.info("waiting for running tasks to finish", { running: this.#running.size, graceSeconds });
      let graceTimer: ReturnType<typeof setTimeout> | undefined;
      const graceOver = new Promise<"grace">((resolve) => {
        graceTimer = setTimeout(() => resolve("grace"), graceSeconds * 1000);
      });
      const outcome = await Promise.race([this.#allRunningDone().then(() => "done" as const), graceOver]);
      clearTimeout(graceTimer);
      if (outcome === "grace") {
        this.#logger.warn("grace period over; aborting running tasks", { running: this.#running.size });
        for (const attempt of this.#running.values()) attempt.abort(new WorkerShutdown(this.workerId, graceSeconds));
        await this.#allRunningDone();
      }
    }
    await parts?.flusher.flushAll({ giveUpAfterMs: 30_000 });
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    parts?.leases.stop();
    await parts?.jobs.stop();
    await parts?.heartbeat?.stop();
    await parts?.listener?.close();
    await parts?.metrics?.close();
    this.#removeDepthSource();
    this.#state = "stopped";
    this.#logger.info("worker stopped", { workerId: this.workerId, finished: this.#finished });
    this.emit("stopped");
    this.#resolveStopped();
  }

  async #allRunningDone(): Promise<void> {
    while (this.#running.size > 0) {
      // #attemptDone runs first: each attempt calls it as its outcome settles.
      await Promise.all([...this.#running.values()].map((attempt) => attempt.outcome));
    }
  }

  // ---- attempts ------------------------------------------------------------------------

  #startAttempt(task: TaskRecord): void {
    const parts = this.#parts!;
    // The claim stamped when it claimed; a task claimed ahead starts now (stored with its outcome).
    const now = new Date();
    task.lastAttemptedAt = now;
    if (task.attempts === 1) task.startedAt = now;
    const attempt: TaskAttempt = new TaskAttempt({
      task,
      store: parts.store,
      backend: parts.backend,
      workerId: this.workerId,
      startedAt: now,
      onOutcome: (outcome) => this.#attemptDone(parts, attempt, outcome),
    });
    this.#running.set(task.id, attempt);
    parts.leases.hold(task.id);
    if (metricsActive())
      recordQueueLag(task.queueName, task.taskName, (now.getTime() - task.runAfter.getTime()) / 1000);
    this.#logger.info("task started", {
      taskId: task.id,
      taskName: task.taskName,
      attempt: task.attempts,
      queue: task.queueName,
      ...attempt.span?.logFields,
    });
    this.#announcer.announce("started", task);
  }

  #attemptDone(parts: Parts, attempt: TaskAttempt, outcome: AttemptOutcome): void {
    const { task } = attempt;
    this.#running.delete(task.id);
    this.#finished += 1;
    const durationMs = attempt.elapsedMs;
    const fields = {
      taskId: task.id,
      taskName: task.taskName,
      attempt: task.attempts,
      durationMs,
      ...attempt.span?.logFields,
    };
    const metric = metricsActive()
      ? { queue: task.queueName, task: task.taskName, durationSeconds: durationMs / 1000 }
      : undefined;
    if (attempt.lost) {
      parts.leases.release(task.id);
      this.#logger.warn("task finished after its lease was lost; result dropped", fields);
    } else if (outcome.ok) {
      parts.flusher.complete({ id: task.id, returnValue: outcome.returnValue, startedAt: attempt.startedAt, metric });
      this.#logger.info("task finished", { ...fields, status: "SUCCESSFUL" });
    } else {
      // Logged by the flusher once stored: whether it is retried is taskFail's decision.
      const blockedMs = parts.heartbeat?.longestStallSince(attempt.startedAt.getTime()) ?? 0;
      parts.flusher.fail({
        id: task.id,
        error: blockedMs > 0 ? withStall(outcome.error, blockedMs) : outcome.error,
        retryDelay: outcome.retryDelay,
        startedAt: attempt.startedAt,
        log: fields,
        metric,
      });
    }
    parts.loop.slotFreed();
    const { maxTasks } = this.#options;
    if (maxTasks !== null && this.#finished >= maxTasks && this.#state === "running") {
      this.#logger.info("max tasks reached; stopping", { maxTasks });
      void this.stop();
    }
  }
}

/** A failed attempt's error, noting that the worker's event loop was blocked during it. */
function withStall(error: TaskErrorRow, blockedMs: number): TaskErrorRow {
  const note = ` (The worker's event loop was blocked for ${(blockedMs / 1000).toFixed(1)} s during this attempt; leases were kept by the heartbeat.)`;
  return { ...error, message: `${error.message}${note}` };
}
