import { type TaskRecord } from "@errand/core";
import { type TaskStore, toErrandError } from "@errand/core/internal";
import type { Heartbeat } from "./heartbeat/heartbeat";
import type { Logger } from "./logger";

export interface LeaseKeeperOptions {
  /** Where leases are renewed and rescued (Postgres in a worker; any `TaskStore` in tests). */
  store: TaskStore;
  workerId: string;
  /** Seconds a claim holds without renewal. Renewed every third of it. */
  leaseSeconds: number;
  /** Seconds between sweeps for other workers' lapsed leases. */
  rescueIntervalSeconds: number;
  logger: Logger;
  /** A held task's lease could not be renewed: it lapsed, and another worker may own the task now. */
  onLost?: ((id: string) => void) | undefined;
  /** A sweep re-queued tasks: there is work to claim. */
  onRescued?: (() => void) | undefined;
  /**
   * Renews from its own thread instead of this event loop's timers, so a blocked event
   * loop does not let the leases lapse (the worker passes one when it has a connection
   * string). `renew()` still renews from here when called.
   */
  heartbeat?: Heartbeat | undefined;
}

/**
 * Keeps the leases of the tasks this worker holds (claimed ahead, running, or finished with
 * the result not yet stored) by renewing them every third of the lease (from a `Heartbeat`
 * thread when it has one), and sweeps for tasks whose
 * worker stopped renewing (killed, cut off) to re-queue them; any worker may do that.
 * A renewal that does not take for a held task means its lease lapsed: `onLost` says so.
 *
 * @example
 * const keeper = new LeaseKeeper({ store, workerId, leaseSeconds: 30, rescueIntervalSeconds: 15, logger });
 * keeper.hold(task.id);
 * keeper.start();
 */
export class LeaseKeeper {
  readonly #options: LeaseKeeperOptions;
  readonly #held = new Set<string>();
  #timers: ReturnType<typeof setInterval>[] = [];
  #renewing = false;
  #rescuing = true;

  constructor(options: LeaseKeeperOptions) {
    this.#options = options;
  }

  /** Renews this task's lease from now on. */
  hold(id: string): void {
    if (this.#held.has(id)) return;
    this.#held.add(id);
    this.#options.heartbeat?.hold([id]);
  }

  /** Renews these tasks' leases from now on (one message to the heartbeat for all). */
  holdAll(ids: readonly string[]): void {
    const added = ids.filter((id) => !this.#held.has(id));
    for (const id of added) this.#held.add(id);
    this.#options.heartbeat?.hold(added);
  }

  /** Stops renewing this task's lease (its result is stored, or dropped). */
  release(id: string): void {
    if (!this.#held.delete(id)) return;
    this.#options.heartbeat?.release([id]);
  }

  /** The heartbeat found these leases lost; those still held are reported to `onLost`. */
  lost(ids: readonly string[]): void {
    for (const id of ids) {
      if (!this.#held.delete(id)) continue;
      this.#options.onLost?.(id);
    }
  }

  /** Ids whose leases are renewed. */
  get held(): ReadonlySet<string> {
    return this.#held;
  }

  /** Sweeps once now, then renews and sweeps on timers that do not keep the process alive. */
  start(): void {
    const { leaseSeconds, rescueIntervalSeconds, heartbeat } = this.#options;
    if (!heartbeat) this.#timers.push(setInterval(() => void this.renew(), (leaseSeconds * 1000) / 3).unref());
    this.#timers.push(setInterval(() => void this.rescue(), rescueIntervalSeconds * 1000).unref());
    void this.rescue();
  }

  /** No more sweeps (a stopping worker); held leases are still renewed. */
  stopRescuing(): void {
    this.#rescuing = false;
  }

  /** Stops renewing and sweeping. Leases still held lapse and other workers re-queue those tasks. */
  stop(): void {
    this.#rescuing = false;
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
  }

  /**
   * Renews every held lease in one statement; resolves with the ids whose lease was lost
   * (each also reported to `onLost`). A failed renewal is logged and retried at the next tick.
   */
  async renew(): Promise<string[]> {
    // A slow database must not pile up renewals: one at a time.
    if (this.#held.size === 0 || this.#renewing) return [];
    const { store, workerId, leaseSeconds, logger } = this.#options;
    const ids = [...this.#held];
    let kept: string[];
    this.#renewing = true;
    try {
      kept = await store.taskRenewLease({ workerId, ids, leaseSeconds });
    } catch (error) {
      logger.warn("lease renewal failed; will retry", { error: toErrandError(error).message, tasks: ids.length });
      return [];
    } finally {
      this.#renewing = false;
    }
    if (kept.length === ids.length) return [];
    const keptSet = new Set(kept);
    // A task released meanwhile had its result stored: not lost.
    const lost = ids.filter((id) => !keptSet.has(id) && this.#held.has(id));
    for (const id of lost) this.#options.onLost?.(id);
    return lost;
  }

  /** Re-queues tasks whose lease lapsed, whoever held them; resolves with their records. */
  async rescue(): Promise<TaskRecord[]> {
    if (!this.#rescuing) return [];
    const { store, logger } = this.#options;
    try {
      const tasks = await store.taskRescueExpired({ limit: 1000 });
      if (tasks.length > 0) {
        logger.warn("re-queued tasks whose lease lapsed", {
          count: tasks.length,
          ids: tasks.slice(0, 20).map((t) => t.id),
          requeued: tasks.filter((t) => t.status === "PENDING").length,
        });
        this.#options.onRescued?.();
      }
      return tasks;
    } catch (error) {
      logger.warn("lease rescue failed; will retry", { error: toErrandError(error).message });
      return [];
    }
  }
}
