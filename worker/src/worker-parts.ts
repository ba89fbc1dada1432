// The parts a running worker is made of, and how each is built and wired back to the
// worker: the backend it needs, the flusher, heartbeat, lease keeper and claim loop.
// Kept apart from `Worker` so its class reads as the lifecycle only.
import type { MetricsServer } from "./metrics-server";
import { getBackend, getSettings, InvalidTaskBackend, type DatabaseBackendLike, type TaskRecord } from "@errand/core";
import type { TaskStore } from "@errand/core/internal";
import type { BackgroundJobs } from "./background-jobs";
import { ClaimLoop } from "./claim-loop";
import { LeaseLost } from "./errors";
import { Heartbeat } from "./heartbeat/heartbeat";
import { LeaseKeeper } from "./lease-keeper";
import type { Logger } from "./logger";
import type { NotifyListener } from "./notify-listener";
import { ResultFlusher } from "./result-flusher";
import type { TaskAttempt } from "./task-attempt";
import type { TaskEventAnnouncer } from "./worker-events";
import type { ResolvedWorkerOptions } from "./worker-options";

/** What a running worker is connected to and made of; built by `Worker.start()`. */
export interface Parts {
  backend: DatabaseBackendLike;
  /** The backend's tasks, through its database: claims, results, leases, progress. */
  store: TaskStore;
  listener: NotifyListener | null;
  flusher: ResultFlusher;
  /** Renews leases from its own thread; null without a connection string (renewed here then). */
  heartbeat: Heartbeat | null;
  leases: LeaseKeeper;
  loop: ClaimLoop;
  /** Cancels of running tasks, retention, cron schedules. */
  jobs: BackgroundJobs;
  /** `/metrics` (`metricsPort`), if served. */
  metrics: MetricsServer | null;
}

/** What the parts call back into their worker for. */
export interface PartsHost {
  readonly workerId: string;
  readonly options: ResolvedWorkerOptions;
  readonly logger: Logger;
  readonly announcer: TaskEventAnnouncer;
  /** The parts once built; null while `start()` is still connecting. */
  parts(): Parts | null;
  /** The running attempt of this task, if it runs here. */
  attempt(id: string): TaskAttempt | undefined;
  runningCount(): number;
  /** Something may be due (a notification, a poll tick, a rescue, a stored retry). */
  wake(): void;
  /** Runs a task the claim loop hands over. */
  startAttempt(task: TaskRecord): void;
  /** Batch mode: nothing due is left. */
  drained(): void;
}

/**
 * The backend a worker runs the tasks of: the one of this alias, which must be a database backend.
 *
 * @example
 * const backend = databaseBackend("default");
 * @throws InvalidTaskBackend when the backend is not a database backend.
 */
export function databaseBackend(alias: string): DatabaseBackendLike {
  const backend = getBackend(alias);
  if (backend.kind !== "database") {
    throw new InvalidTaskBackend(
      alias,
      `Backend "${alias}" is a ${backend.kind} backend; a worker needs a database backend (--backend).`,
    );
  }
  return backend as DatabaseBackendLike;
}

/** The flusher that stores the worker's outcomes, releases their leases and announces them. */
export function newResultFlusher(host: PartsHost, store: TaskStore): ResultFlusher {
  return new ResultFlusher({
    store,
    workerId: host.workerId,
    logger: host.logger,
    onStored: (sent, tasks) => {
      for (const id of sent) host.parts()?.leases.release(id);
      for (const task of tasks ?? []) host.announcer.announce("finished", task);
    },
    wantRecords: () => host.announcer.wanted("finished"),
    // A retry may be due at once (zero backoff), and batch mode must look again before
    // it decides nothing is left.
    onFlushed: ({ hadFailures }) => {
      if (hadFailures || host.options.batch) host.wake();
    },
  });
}

/** A started heartbeat thread renewing the worker's leases through `connectionString`. */
export async function newHeartbeat(host: PartsHost, connectionString: string): Promise<Heartbeat> {
  const heartbeat = new Heartbeat({
    connectionString,
    workerId: host.workerId,
    leaseSeconds: host.options.leaseSeconds,
    logger: host.logger,
    // A stall longer than the lease is what would have cost the leases without the thread.
    stallWarnMs: Math.min(5000, host.options.leaseSeconds * 1000),
    maxStallMs: host.options.maxStallSeconds * 1000,
    onLost: (ids) => host.parts()?.leases.lost(ids),
  });
  await heartbeat.start();
  return heartbeat;
}

/** The lease keeper; a lost lease aborts the task's attempt, or drops it if not started. */
export function newLeaseKeeper(host: PartsHost, store: TaskStore, heartbeat: Heartbeat | null): LeaseKeeper {
  return new LeaseKeeper({
    store,
    heartbeat: heartbeat ?? undefined,
    workerId: host.workerId,
    leaseSeconds: host.options.leaseSeconds,
    rescueIntervalSeconds: host.options.rescueIntervalSeconds,
    logger: host.logger,
    onLost: (id) => {
      const attempt = host.attempt(id);
      // A result in the buffer was stored meanwhile, or the lease really lapsed.
      if (!attempt) {
        // Claimed ahead and not started yet: it must not start now.
        host.parts()?.loop.forget(id);
        return;
      }
      attempt.lost = true;
      host.logger.warn("lease lost; aborting the task's signal", { taskId: id, taskName: attempt.task.taskName });
      attempt.abort(new LeaseLost(id, host.workerId));
    },
    onRescued: () => host.wake(),
  });
}

/** The claim loop over the worker's queues, handing each claimed task to `host.startAttempt`. */
export function newClaimLoop(host: PartsHost, store: TaskStore, flusher: ResultFlusher): ClaimLoop {
  const { options } = host;
  return new ClaimLoop({
    store,
    workerId: host.workerId,
    // Two backend aliases may share a database: run only this one's tasks.
    backend: options.backend,
    queues: options.queues,
    excludeQueues: options.excludeQueues,
    leaseSeconds: options.leaseSeconds,
    concurrency: options.concurrency,
    prefetch: options.prefetch,
    // Well inside the lease, so a task claimed ahead never waits out its lease.
    prefetchTimeoutMs: Math.min(5000, (options.leaseSeconds * 1000) / 3),
    maxTasks: options.maxTasks,
    batch: options.batch,
    logger: host.logger,
    running: () => host.runningCount(),
    onClaimed: (task) => host.startAttempt(task),
    isRunning: (id) => host.attempt(id) !== undefined,
    onQueued: (tasks) => host.parts()?.leases.holdAll(tasks.map((task) => task.id)),
    onReleased: (ids) => {
      for (const id of ids) host.parts()?.leases.release(id);
    },
    results: flusher,
    onDrained: () => host.drained(),
    // Flow control: the config's queue limits (every worker should run the same config).
    flowQueues: getSettings().queues,
  });
}
