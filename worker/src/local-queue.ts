import type { TaskRecord } from "@errand/core";

/**
 * A task claimed ahead of a free slot, and when the claim that took it was sent
 * (`performance.now()`): no later than the database stamped its lease, so the lease is
 * known to hold until `at` plus the lease, whenever the answer was read.
 */
interface Queued {
  task: TaskRecord;
  at: number;
}

export interface LocalQueueOptions {
  /** Most tasks held ahead. 0 turns claiming ahead off. */
  max: number;
  /**
   * A task waiting longer than this before it starts means the queue holds more than the
   * worker gets through: the size it aims for is halved (at most once per this period).
   */
  slowStartMs: number;
  /**
   * A task claimed longer ago than this is never started: `take()` hands it back as stale
   * (its lease may have lapsed and another worker may run it). Default no limit.
   */
  maxWaitMs?: number | undefined;
}

/**
 * The tasks a worker claimed ahead of free slots (graphile-worker's local queue, River's
 * producer), oldest claim first, and the size it aims for. That size adapts to the
 * worker's throughput: it starts at 0 (claim only for free slots), doubles at the next
 * claim whenever a slot freed up and found the queue empty while more was due (the
 * claim round trip was slower than the tasks), and halves when a task waited more than `slowStartMs` to start
 * or was given back unstarted (the worker holds more than it gets through), never above
 * `max`. So a worker of quick tasks claims hundreds at a time, and one of slow tasks
 * claims only for its free slots and keeps nothing from other workers.
 *
 * @example
 * const queue = new LocalQueue({ max: 500, slowStartMs: 1000 });
 * const limit = queue.claimSize(freeSlots); // how many the next claim asks for
 * queue.push(claimed.slice(freeSlots));
 * const next = queue.take(); // a TaskRecord, or undefined
 */
export class LocalQueue {
  readonly #options: LocalQueueOptions;
  #items: Queued[] = [];
  #head = 0;
  #target = 0;
  #starved = false;
  #lastShrink = 0;

  constructor(options: LocalQueueOptions) {
    this.#options = options;
  }

  /** Tasks waiting for a slot. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /** How many tasks it aims to hold ahead. */
  get target(): number {
    return this.#target;
  }

  /** Whether the queue has run down to half its target: time for the next claim. */
  get wantsMore(): boolean {
    return this.#options.max > 0 && this.size * 2 <= this.#target;
  }

  /**
   * How many tasks the next claim should ask for with `free` slots idle: enough to fill
   * them and the queue, or 0 while the queue is more than half full (claims stay large).
   */
  claimSize(free: number, inFlight = 0): number {
    if (this.#starved && this.#options.max > 0)
      this.#target = Math.min(this.#options.max, Math.max(1, this.#target * 2));
    this.#starved = false;
    const size = this.size + inFlight;
    if (size > 0 && size * 2 > this.#target) return 0;
    return Math.max(0, free - size + this.#target);
  }

  /** Queues tasks claimed by a claim sent at `at` (`performance.now()`; default now). */
  push(tasks: readonly TaskRecord[], at = performance.now()): void {
    for (const task of tasks) this.#items.push({ task, at });
  }

  /**
   * Puts tasks at the head, to start before the rest: tasks of limited queues and keyed
   * tasks, which were claimed only for free slots (so a rate limit counts real starts).
   */
  pushFront(tasks: readonly TaskRecord[], at = performance.now()): void {
    if (tasks.length === 0) return;
    this.#items = [...tasks.map((task) => ({ task, at })), ...this.#items.slice(this.#head)];
    this.#head = 0;
  }

  /** Removes and returns every queued task that `match` picks (a paused queue's), keeping the others' order. */
  takeWhere(match: (task: TaskRecord) => boolean): TaskRecord[] {
    const out: TaskRecord[] = [];
    const kept: Queued[] = [];
    for (let i = this.#head; i < this.#items.length; i++) {
      const item = this.#items[i]!;
      if (match(item.task)) out.push(item.task);
      else kept.push(item);
    }
    if (out.length > 0) {
      this.#items = kept;
      this.#head = 0;
    }
    return out;
  }

  /**
   * A free slot found the queue empty while more tasks were due: the claim round trip is
   * slower than the tasks. The next claim aims twice as high.
   */
  starved(): void {
    this.#starved = true;
  }

  /**
   * The next task to start, or undefined when empty. Tasks claimed more than `maxWaitMs`
   * ago are not returned but added to `stale`, to be given back: after a blocked event
   * loop (or an answer read late) their leases may have lapsed, and whatever order
   * `pushFront` left, none of them starts.
   */
  take(stale?: TaskRecord[]): TaskRecord | undefined {
    const now = performance.now();
    const maxWait = this.#options.maxWaitMs ?? Infinity;
    while (this.#head < this.#items.length) {
      const item = this.#items[this.#head]!;
      this.#head += 1;
      if (this.#head === this.#items.length) this.#clear();
      else if (this.#head > 1024 && this.#head * 2 > this.#items.length) this.#compact();
      const waited = now - item.at;
      if (waited > this.#options.slowStartMs) this.#shrink();
      if (waited > maxWait) {
        stale?.push(item.task);
        continue;
      }
      return item.task;
    }
    return undefined;
  }

  /** Whether a task of this id waits in the queue (a rare check: it scans). */
  has(id: string): boolean {
    for (let i = this.#head; i < this.#items.length; i++) if (this.#items[i]!.task.id === id) return true;
    return false;
  }

  /** Removes and returns tasks claimed more than `ms` ago (the oldest are at the head). */
  takeOlderThan(ms: number): TaskRecord[] {
    const cutoff = performance.now() - ms;
    const out: TaskRecord[] = [];
    while (this.#head < this.#items.length && this.#items[this.#head]!.at < cutoff) {
      out.push(this.#items[this.#head]!.task);
      this.#head += 1;
    }
    if (out.length > 0) {
      this.#shrink();
      this.#compact();
    }
    return out;
  }

  /** Removes one task (its lease was lost); whether it was queued. */
  remove(id: string): boolean {
    const index = this.#items.findIndex((item, i) => i >= this.#head && item.task.id === id);
    if (index < 0) return false;
    this.#items.splice(index, 1);
    return true;
  }

  /** Removes and returns every queued task. */
  takeAll(): TaskRecord[] {
    const out = this.#items.slice(this.#head).map((item) => item.task);
    this.#clear();
    return out;
  }

  #shrink(): void {
    const now = performance.now();
    if (now - this.#lastShrink < this.#options.slowStartMs) return;
    this.#lastShrink = now;
    this.#target = Math.floor(this.#target / 2);
  }

  #clear(): void {
    this.#items = [];
    this.#head = 0;
  }

  #compact(): void {
    this.#items = this.#items.slice(this.#head);
    this.#head = 0;
  }
}
