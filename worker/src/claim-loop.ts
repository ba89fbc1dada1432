import { type QueueSettings, type TaskRecord } from "@errand/core";
import { isFlowLimited, limitedQueueNames, type TaskStore, toErrandError } from "@errand/core/internal";
import { Backoff, sleep } from "./backoff";
import { LocalQueue } from "./local-queue";
import type { Logger } from "./logger";

export interface ClaimLoopOptions {
  /** Where tasks are claimed from (Postgres in a worker; any `TaskStore` in tests). */
  store: TaskStore;
  workerId: string;
  /** Only tasks stored by this backend alias. Default any. */
  backend?: string | undefined;
  queues: readonly string[] | "*";
  excludeQueues: readonly string[];
  leaseSeconds: number;
  /** Slots: tasks started at once. */
  concurrency: number;
  /**
   * Most tasks claimed ahead of free slots (the local queue); the loop sizes it from the
   * worker's throughput up to this. 0: claim only for free slots.
   */
  prefetch: number;
  /** A task claimed ahead and not started within this many ms is given back. */
  prefetchTimeoutMs: number;
  /** Claims no more than this many in all, then ends. `null`: no limit. */
  maxTasks: number | null;
  /** End once a claim finds nothing due, nothing runs and every result is stored. */
  batch: boolean;
  logger: Logger;
  /** Attempts running now. */
  running: () => number;
  /** Whether an attempt of this task runs now (a task given back must not be one that runs). */
  isRunning?: ((id: string) => boolean) | undefined;
  /** Starts a claimed task; it counts in `running()` from then on until it finishes. */
  onClaimed: (task: TaskRecord) => void;
  /** Tasks claimed ahead into the local queue: their leases need renewing until they start. */
  onQueued?: ((tasks: readonly TaskRecord[]) => void) | undefined;
  /** Tasks given back unstarted (PENDING again, no attempt counted): no more lease to renew. */
  onReleased?: ((ids: readonly string[]) => void) | undefined;
  /** Whether every result is stored, and a counter bumped by each flush (see `ResultFlusher`). */
  results: { readonly settled: boolean; readonly epoch: number };
  /** Batch mode: nothing due is left. The loop has ended. */
  onDrained?: (() => void) | undefined;
  /** The `queues` limits of the config (flow control). Default none. */
  flowQueues?: Readonly<Record<string, QueueSettings>> | undefined;
}

/**
 * The worker's claim loop: claims due tasks of its queues through the store's
 * `taskClaimBatch` (`FOR UPDATE SKIP LOCKED` in Postgres) for its free slots and, ahead of
 * them, into a `LocalQueue` sized from the worker's throughput (up to `prefetch`), and
 * starts each task through `onClaimed` as a slot frees up, from memory, without a round
 * trip. The next claim goes out while the queue is still half full, so the database never
 * waits on the worker nor the worker on a claim; while claiming ahead, two claims may be
 * in flight at once (each counts what the other asked for); why two claimers and the cap:
 * "Design measurements" in worker/bench/README.md. Tasks claimed ahead are leased like
 * running ones; one not started within `prefetchTimeoutMs` is given back (PENDING again,
 * no attempt counted), and so is every one left when the worker stops.
 *
 * Between claims it sleeps until `wake()` (a NOTIFY, a poll tick, a rescue, a stored
 * retry) or `slotFreed()`. A failed claim is retried with backoff. After `stop()` it
 * claims and starts nothing more; `giveBack()` returns what it still holds.
 *
 * @example
 * const loop = new ClaimLoop({ store, workerId, queues: "*", excludeQueues: [], leaseSeconds: 30,
 *   concurrency: 10, prefetch: 500, prefetchTimeoutMs: 5000, maxTasks: null, batch: false, logger,
 *   running: () => running.size, onClaimed: (task) => start(task), results: flusher });
 * const done = loop.run();
 * loop.stop();
 * await done;
 * await loop.giveBack();
 */
/** Tasks started from the local queue in one turn of the event loop (see `#fillSlots`). */
const MAX_STARTS_PER_TURN = 64;

export class ClaimLoop {
  readonly #options: ClaimLoopOptions;
  readonly #queue: LocalQueue;
  #active = true;
  /** Set when a claim may find something: a notification, a poll tick, a full batch. */
  #mayHaveWork = true;
  /** Bumped by every `wake()`: a claim that started before a wake must not clear `#mayHaveWork`. */
  #wakes = 0;
  #waiters: (() => void)[] = [];
  /** Tasks asked for by claims in flight. */
  #inFlight = 0;
  #wakeScheduled = false;
  #claimed = 0;
  #startsThisTurn = 0;
  /** Filled by `#fillSlots` with tasks claimed too long ago to start (reused: it runs per task). */
  readonly #stale: TaskRecord[] = [];
  #fillScheduled = false;
  /** The last claim got all it asked for: more is probably due. */
  #lastClaimFull = false;
  readonly #backoff = new Backoff();
  /** Free slots promised to limited tasks by claims in flight (see `#freeSlots`). */
  #inFlightFree = 0;
  /** Queues paused as last heard: tasks of theirs claimed ahead are given back, not started. */
  #paused = new Set<string>();
  readonly #flowQueues: Readonly<Record<string, QueueSettings>>;
  readonly #limited: ReadonlySet<string>;

  constructor(options: ClaimLoopOptions) {
    this.#options = options;
    this.#queue = new LocalQueue({
      max: options.prefetch,
      slowStartMs: Math.min(1000, options.prefetchTimeoutMs / 2),
      maxWaitMs: options.prefetchTimeoutMs,
    });
    this.#flowQueues = options.flowQueues ?? {};
    this.#limited = new Set(limitedQueueNames({ queues: this.#flowQueues, freeSlots: 0 }));
  }

  /**
   * Ms between claims while a rate-limited queue may have work: a rate limit frees its room
   * as time passes, with no notification. A tenth of the shortest period (at least 50 ms);
   * `null` with no rate limit.
   */
  get rateLimitPollMs(): number | null {
    const periods = Object.values(this.#flowQueues).flatMap((q) => (q.rateLimit ? [q.rateLimit.periodSeconds] : []));
    return periods.length === 0 ? null : Math.max(50, (Math.min(...periods) * 1000) / 10);
  }

  /**
   * The paused queues, as just read from the database: tasks of theirs waiting in the local
   * queue are given back (PENDING again, no attempt counted) and none starts; running ones
   * finish. A resumed queue wakes the loop.
   */
  async setPaused(names: readonly string[]): Promise<void> {
    const next = new Set(names);
    const resumed = [...this.#paused].some((name) => !next.has(name));
    this.#paused = next;
    if (next.size > 0) {
      const held = this.#queue.takeWhere((task) => next.has(task.queueName));
      if (held.length > 0) {
        this.#options.logger.info("queue paused; giving back tasks claimed ahead", { count: held.length });
        await this.#release(held);
      }
    }
    if (resumed) this.wake();
  }

  /**
   * Slots free for limited tasks now: not running, not promised to the local queue nor to a
   * claim in flight. Limited tasks are claimed only for these and start at once.
   */
  #freeSlots(): number {
    const { concurrency, running } = this.#options;
    return Math.max(0, concurrency - running() - this.#queue.size - this.#inFlightFree);
  }

  /** Tasks claimed since the start. */
  get claimed(): number {
    return this.#claimed;
  }

  /** Tasks claimed ahead, waiting for a slot. */
  get queued(): number {
    return this.#queue.size;
  }

  /** Something may be due: claim as soon as a slot is free. */
  wake(): void {
    this.#wakes += 1;
    this.#mayHaveWork = true;
    this.#resume();
  }

  /**
   * A slot freed up: it is filled at once from the local queue. When the queue has run
   * down to half its target, the next claim goes out now, while the rest of the queue
   * runs; otherwise the claim is deferred to the next turn of the event loop so that tasks
   * finishing together are refilled by one claim, not one claim each (batched claims:
   * "Design measurements" in worker/bench/README.md).
   */
  slotFreed(): void {
    this.#fillSlots();
    if (this.#queue.wantsMore) {
      this.#resume();
      return;
    }
    if (this.#wakeScheduled) return;
    this.#wakeScheduled = true;
    setImmediate(() => {
      this.#wakeScheduled = false;
      this.#resume();
    });
  }

  /** A task's lease was lost: if it waits in the local queue, it must not start. */
  forget(id: string): void {
    this.#queue.remove(id);
  }

  /** Claims and starts nothing more; `run()` resolves once a claim in flight is given back. */
  stop(): void {
    this.#active = false;
    this.wake();
  }

  /** Gives back every task still waiting in the local queue (after `stop()`). */
  async giveBack(): Promise<void> {
    await this.#release(this.#queue.takeAll());
  }

  /** Claims until stopped, drained (batch) or `maxTasks` claimed. */
  async run(): Promise<void> {
    const { prefetch, prefetchTimeoutMs } = this.#options;
    const expiry = prefetch > 0 ? setInterval(() => void this.#expire(), prefetchTimeoutMs / 2) : undefined;
    try {
      // Two claimers when claiming ahead: the next claim is on its way while one is answered.
      await Promise.all(prefetch > 0 ? [this.#claimUntilDone(), this.#claimUntilDone()] : [this.#claimUntilDone()]);
    } finally {
      clearInterval(expiry);
    }
  }

  async #claimUntilDone(): Promise<void> {
    const { store, maxTasks, batch, logger, results, concurrency } = this.#options;
    while (this.#active) {
      const want = this.#queue.claimSize(concurrency - this.#options.running(), this.#inFlight);
      const budget = maxTasks === null ? want : Math.min(want, maxTasks - this.#claimed - this.#inFlight);
      if (budget <= 0 || !this.#mayHaveWork) {
        await this.#idle(null);
        continue;
      }
      // Cleared by this claim only if it comes back short and nothing woke the loop meanwhile:
      // the other claimer may go out while this one is in flight.
      const wakes = this.#wakes;
      const epoch = results.epoch;
      let tasks: TaskRecord[];
      const claimStart = performance.now();
      this.#inFlight += budget;
      const freeSlots = Math.min(budget, this.#freeSlots());
      this.#inFlightFree += freeSlots;
      try {
        tasks = await store.taskClaimBatch({
          queues: this.#options.queues,
          excludeQueues: this.#options.excludeQueues,
          backend: this.#options.backend,
          limit: budget,
          workerId: this.#options.workerId,
          leaseSeconds: this.#options.leaseSeconds,
          flow: { queues: this.#flowQueues, freeSlots },
        });
        if (this.#backoff.failing) logger.info("database reachable again; claiming");
        this.#backoff.reset();
      } catch (error) {
        // The claim may have committed with its reply lost: those tasks stay RUNNING under
        // this worker's id until their lease lapses and a rescue re-queues them.
        const delay = this.#backoff.next();
        logger.warn("claim failed; retrying", { error: toErrandError(error).message, retryInMs: delay });
        this.#mayHaveWork = true;
        this.#inFlight -= budget;
        this.#inFlightFree -= freeSlots;
        await this.#idle(delay);
        continue;
      }
      this.#inFlight -= budget;
      this.#inFlightFree -= freeSlots;
      if (!this.#active) {
        // stop() came while the claim was in flight: give these back untouched.
        await this.#release(tasks);
        return;
      }
      this.#claimed += tasks.length;
      logger.debug("claimed", {
        asked: budget,
        got: tasks.length,
        queued: this.#queue.size,
        ms: Math.round((performance.now() - claimStart) * 10) / 10,
      });
      if (tasks.length > 0) {
        // Limited tasks were claimed for free slots: they start first, at once.
        // Queued as of when the claim was sent, not when its answer was read: an answer read
        // after a blocked event loop holds tasks whose leases may have lapsed meanwhile.
        const limited = tasks.filter((task) => isFlowLimited(task, this.#limited));
        if (limited.length === 0) this.#queue.push(tasks, claimStart);
        else {
          this.#queue.push(
            tasks.filter((task) => !isFlowLimited(task, this.#limited)),
            claimStart,
          );
          this.#queue.pushFront(limited, claimStart);
        }
        this.#options.onQueued?.(tasks);
        this.#fillSlots();
      }
      this.#lastClaimFull = tasks.length === budget;
      if (tasks.length === budget) {
        // A full batch: more may be due. Claim again as soon as the queue runs low.
        this.#mayHaveWork = true;
      } else if (this.#wakes === wakes) {
        this.#mayHaveWork = false;
      }
      if (
        tasks.length < budget &&
        batch &&
        this.#inFlight === 0 &&
        this.#options.running() === 0 &&
        this.#queue.size === 0 &&
        results.settled &&
        epoch === results.epoch
      ) {
        this.#active = false;
        this.#options.onDrained?.();
        return;
      }
      if (maxTasks !== null && this.#claimed >= maxTasks) {
        logger.info("max tasks claimed; finishing them, then stopping", { maxTasks });
        return;
      }
    }
  }

  /**
   * Starts queued tasks while slots are free. Quick tasks finish in the same turn of the
   * event loop they start in, so a queue of them would run to the end before a claim's
   * answer or a flush could be handled: after `MAX_STARTS_PER_TURN` starts the rest wait
   * for the next turn.
   */
  #fillSlots(): void {
    if (!this.#active) return;
    // What waited past its time is given back, never started, whatever the expiry timer did:
    // after the event loop was blocked (a synchronous task), the timer has not run yet and
    // those tasks' leases may have lapsed, letting another worker run them.
    const stale = this.#stale;
    try {
      this.#startQueued(stale);
    } finally {
      if (stale.length > 0) void this.#giveBackStale(stale.splice(0));
    }
  }

  /** Starts queued tasks while slots are free; those claimed too long ago go to `stale`. */
  #startQueued(stale: TaskRecord[]): void {
    const { concurrency, running, onClaimed } = this.#options;
    while (running() < concurrency) {
      if (this.#startsThisTurn >= MAX_STARTS_PER_TURN) {
        if (!this.#fillScheduled) {
          this.#fillScheduled = true;
          setImmediate(() => {
            this.#fillScheduled = false;
            this.#startsThisTurn = 0;
            this.#fillSlots();
          });
        }
        return;
      }
      if (this.#startsThisTurn++ === 0) setImmediate(() => (this.#startsThisTurn = 0));
      const task = this.#queue.take(stale);
      if (!task) {
        if (this.#lastClaimFull) this.#queue.starved();
        return;
      }
      if (this.#paused.has(task.queueName)) {
        // Paused after it was claimed: give it back, never start it.
        void this.#release([task]);
        continue;
      }
      onClaimed(task);
    }
  }

  /** Gives back tasks that waited in the local queue longer than `prefetchTimeoutMs`. */
  async #expire(): Promise<void> {
    await this.#giveBackStale(this.#queue.takeOlderThan(this.#options.prefetchTimeoutMs));
  }

  /**
   * Gives back tasks claimed too long ago to start. A task this worker claimed again since
   * (its lease lapsed, a rescue re-queued it, this worker's next claim took it) is held
   * under the new claim: that one is not given back.
   */
  async #giveBackStale(stale: TaskRecord[]): Promise<void> {
    const isRunning = this.#options.isRunning;
    const out = stale.filter((task) => !this.#queue.has(task.id) && !isRunning?.(task.id));
    if (out.length === 0) return;
    this.#options.logger.debug("giving back tasks claimed ahead and not started in time", { count: out.length });
    await this.#release(out);
    // Due again, and no notification says so: the next claim may take them.
    this.wake();
  }

  #resume(): void {
    const waiters = this.#waiters;
    if (waiters.length === 0) return;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Waits for a wake-up (notification, poll tick, freed slot, stop), or `ms`. */
  #idle(ms: number | null): Promise<void> {
    if (!this.#active) return Promise.resolve();
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const wake = () => {
        if (timer) clearTimeout(timer);
        resolve();
      };
      this.#waiters.push(wake);
      if (ms !== null) {
        timer = setTimeout(() => {
          this.#waiters = this.#waiters.filter((w) => w !== wake);
          resolve();
        }, ms);
      }
    });
  }

  async #release(tasks: TaskRecord[]): Promise<void> {
    if (tasks.length === 0) return;
    const { store, workerId, logger } = this.#options;
    const ids = tasks.map((t) => t.id);
    const backoff = new Backoff();
    try {
      for (let tries = 0; ; tries++) {
        try {
          await store.taskRelease({ workerId, ids });
          logger.info("released tasks claimed but not started", { count: ids.length });
          return;
        } catch (error) {
          if (tries >= 10) {
            logger.error("could not release claimed tasks; they will be re-queued when their lease lapses", {
              error: toErrandError(error).message,
              ids,
            });
            return;
          }
          await sleep(backoff.next());
        }
      }
    } finally {
      this.#options.onReleased?.(ids);
    }
  }
}
