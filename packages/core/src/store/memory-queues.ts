import type { BulkTaskFilter, QueueInfo, QueueSettings, TaskRecord } from "../types";
import { RATE_LIMIT_MARGIN_MS } from "./claim-flow";

/** One claim's starts in a rate-limited queue. */
interface Start {
  queueName: string;
  at: number;
  count: number;
}

/**
 * The memory store's flow state: paused queues and the starts of rate-limited queues (the
 * twins of `errand_queues` and `errand_queue_starts`).
 */
export class MemoryQueues {
  readonly paused = new Set<string>();
  /** Queues ever paused or resumed: listed by `queueList` even with no task. */
  readonly known = new Set<string>();
  #starts: Start[] = [];

  /** Starts of `queueName` counted now in a window of `periodSeconds`. */
  startsInWindow(queueName: string, periodSeconds: number, now: number): number {
    const since = now - periodSeconds * 1000 - RATE_LIMIT_MARGIN_MS;
    return this.#starts.filter((s) => s.queueName === queueName && s.at > since).reduce((n, s) => n + s.count, 0);
  }

  recordStarts(
    queueName: string,
    { count, now, periodSeconds }: { count: number; now: number; periodSeconds: number },
  ): void {
    const since = now - periodSeconds * 1000 - RATE_LIMIT_MARGIN_MS;
    this.#starts = this.#starts.filter((s) => s.queueName !== queueName || s.at > since);
    if (count > 0) this.#starts.push({ queueName, at: now, count });
  }

  clear(): void {
    this.paused.clear();
    this.known.clear();
    this.#starts = [];
  }
}

/** `queueList` over records in memory, as the Postgres store's SQL computes it. */
export function memoryQueueList(
  records: Iterable<TaskRecord>,
  queues: MemoryQueues,
  settings: Readonly<Record<string, QueueSettings>>,
): QueueInfo[] {
  const byName = new Map<string, QueueInfo>();
  const info = (name: string): QueueInfo => {
    let q = byName.get(name);
    if (!q) {
      const s = settings[name];
      q = {
        name,
        paused: queues.paused.has(name),
        pending: 0,
        running: 0,
        failed: 0,
        oldestDueAt: null,
        concurrency: s?.concurrency ?? null,
        rateLimit: s?.rateLimit ? { ...s.rateLimit } : null,
      };
      byName.set(name, q);
    }
    return q;
  };
  for (const name of [...queues.known, ...Object.keys(settings)]) info(name);
  const now = Date.now();
  for (const r of records) {
    const q = info(r.queueName);
    if (r.status === "PENDING") {
      q.pending += 1;
      if (r.runAfter.getTime() <= now && (!q.oldestDueAt || r.runAfter < q.oldestDueAt)) q.oldestDueAt = r.runAfter;
    } else if (r.status === "RUNNING") q.running += 1;
    else if (r.status === "FAILED") q.failed += 1;
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Whether a record matches a bulk filter (`status` already resolved by the caller). */
export function matchesBulkFilter(r: TaskRecord, filter: BulkTaskFilter): boolean {
  return (
    (filter.status === undefined || r.status === filter.status) &&
    (filter.queueName === undefined || r.queueName === filter.queueName) &&
    (filter.taskName === undefined || r.taskName === filter.taskName) &&
    (filter.finishedBefore === undefined || (r.finishedAt !== null && r.finishedAt < filter.finishedBefore)) &&
    (filter.enqueuedBefore === undefined || r.enqueuedAt < filter.enqueuedBefore)
  );
}
