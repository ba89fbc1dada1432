import { Worker as Thread } from "node:worker_threads";
import { queries } from "@errand/core/internal";
import type { Logger } from "../logger";

export interface HeartbeatOptions {
  /** Where the thread opens its own connection. */
  connectionString: string;
  workerId: string;
  /** Seconds a claim holds; renewed every third of it. */
  leaseSeconds: number;
  logger: Logger;
  /** A blocked event loop is logged once it has been blocked this long. Default 5 s. */
  stallWarnMs?: number | undefined;
  /** Blocked this long, the process is ended so its tasks are rescued. `null`: never. */
  maxStallMs: number | null;
  /** Renewals that did not take: those leases lapsed and another worker may own the tasks. */
  onLost: (ids: string[]) => void;
}

/** How long releases are gathered before one message takes them to the thread. */
const RELEASE_BATCH_MS = 100;

/** The thread's entry, beside this module in the sources and beside cli.js in dist/. */
const THREAD = new URL("./heartbeat-thread.mjs", import.meta.url);

/**
 * Renews the leases of the tasks this worker holds from a `worker_threads` thread with its
 * own connection, so a task that blocks the event loop (seconds of synchronous work) does
 * not let the leases lapse and get its task — and every other task of this worker — run a
 * second time by another worker. The event loop writes the time into shared memory every
 * 250 ms; the thread logs a stall, and past `maxStallMs` ends the process, so a hard hang
 * cannot hold tasks forever (they are rescued when their lease lapses).
 *
 * @example
 * const heartbeat = new Heartbeat({ connectionString, workerId, leaseSeconds: 30, logger,
 *   maxStallMs: 600_000, onLost: (ids) => abort(ids) });
 * await heartbeat.start();
 * heartbeat.hold(claimed.map((t) => t.id));
 */
export class Heartbeat {
  readonly #options: HeartbeatOptions;
  readonly #tick = new BigInt64Array(new SharedArrayBuffer(8));
  readonly #stallWarnMs: number;
  #thread: Thread | null = null;
  #ticker: ReturnType<typeof setInterval> | null = null;
  #lastTick = Date.now();
  /** Released since the last message to the thread. */
  readonly #releases = new Set<string>();
  #releaseTimer: ReturnType<typeof setTimeout> | null = null;
  /** Blocked stretches of the event loop over `stallWarnMs`: [ended at, lasted ms]. */
  #stalls: [number, number][] = [];

  constructor(options: HeartbeatOptions) {
    this.#options = options;
    this.#stallWarnMs = options.stallWarnMs ?? 5000;
  }

  /** Starts the thread; resolves once it runs. */
  async start(): Promise<void> {
    const { connectionString, workerId, leaseSeconds, maxStallMs } = this.#options;
    this.#beat();
    this.#ticker = setInterval(() => this.#beat(), 250);
    this.#ticker.unref();
    const thread = new Thread(THREAD, {
      workerData: {
        connectionString,
        workerId,
        leaseSeconds,
        renewSql: queries.RENEW_LEASE_SQL,
        tick: this.#tick,
        stallWarnMs: this.#stallWarnMs,
        maxStallMs,
      },
      // The sources' loaders (tsx) are not needed: the thread is plain JavaScript.
      execArgv: [],
    });
    this.#thread = thread;
    thread.on("message", (message: { type: string; ids?: string[]; message?: string }) => {
      if (message.type === "lost" && message.ids) this.#options.onLost(message.ids);
      else if (message.type === "error") {
        this.#options.logger.warn("lease renewal failed; will retry", { error: message.message });
      }
    });
    thread.on("error", (error) => {
      this.#options.logger.error("the lease heartbeat thread failed", { error: error.message });
    });
    await new Promise<void>((resolve, reject) => {
      thread.once("online", resolve);
      thread.once("error", reject);
    });
    thread.unref();
  }

  /**
   * Renews these tasks' leases from now on. Posted at once: the task may block the event
   * loop as soon as it starts.
   */
  hold(ids: readonly string[]): void {
    if (ids.length === 0) return;
    // Held again (a retry claimed by this worker) before its release was sent: the release
    // must not follow the hold.
    if (this.#releases.size > 0) for (const id of ids) this.#releases.delete(id);
    this.#thread?.postMessage({ type: "hold", ids });
  }

  /**
   * Stops renewing these leases, batched: sent every `RELEASE_BATCH_MS` rather than per task
   * (a message per finished task cost more than the rest of its bookkeeping). A late release
   * is harmless: a renewal of a finished task matches no row, and the worker ignores the loss
   * of a lease it no longer holds.
   */
  release(ids: readonly string[]): void {
    for (const id of ids) this.#releases.add(id);
    if (this.#releaseTimer) return;
    this.#releaseTimer = setTimeout(() => {
      this.#releaseTimer = null;
      if (this.#releases.size === 0) return;
      const released = [...this.#releases];
      this.#releases.clear();
      this.#thread?.postMessage({ type: "release", ids: released });
    }, RELEASE_BATCH_MS);
    this.#releaseTimer.unref();
  }

  /** The longest stall of the event loop that ended after `since` (ms since the epoch), or 0. */
  longestStallSince(since: number): number {
    let longest = 0;
    for (const [endedAt, ms] of this.#stalls) if (endedAt >= since && ms > longest) longest = ms;
    return longest;
  }

  /** Stops the thread and closes its connection. Leases still held lapse. */
  async stop(): Promise<void> {
    if (this.#ticker) clearInterval(this.#ticker);
    this.#ticker = null;
    if (this.#releaseTimer) clearTimeout(this.#releaseTimer);
    this.#releaseTimer = null;
    this.#releases.clear();
    const thread = this.#thread;
    this.#thread = null;
    if (!thread) return;
    const stopped = new Promise<void>((resolve) => {
      thread.once("exit", () => resolve());
      thread.on("message", (message: { type: string }) => {
        if (message.type === "stopped") resolve();
      });
    });
    thread.postMessage({ type: "stop" });
    await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    await thread.terminate();
  }

  #beat(): void {
    const now = Date.now();
    const gap = now - this.#lastTick;
    this.#lastTick = now;
    Atomics.store(this.#tick, 0, BigInt(now));
    if (gap >= this.#stallWarnMs) {
      this.#stalls.push([now, gap]);
      if (this.#stalls.length > 100) this.#stalls.shift();
      this.#options.logger.warn("the event loop was blocked; leases were renewed by the heartbeat meanwhile", {
        blockedMs: gap,
      });
    }
  }
}
