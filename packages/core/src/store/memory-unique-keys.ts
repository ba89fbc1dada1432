// The memory store's stand-in for the partial unique index on `unique_key` (PENDING and
// RUNNING rows only): which stored task, if any, holds a unique key now.
import type { TaskRecord } from "../types";
import { isFinishedStatus } from "../task/task-status";

/**
 * Unique keys of the tasks in a `MemoryTaskStore`. It remembers the latest task stored
 * with each key; that task holds the key while it is PENDING or RUNNING, as the partial
 * unique index would.
 *
 * @example
 * const keys = new MemoryUniqueKeys<StoredTask>();
 * if (!keys.holder("report:42")) keys.remember(stored);
 */
export class MemoryUniqueKeys<T extends { record: TaskRecord }> {
  readonly #lastWithKey = new Map<string, T>();

  /** The PENDING or RUNNING task with this unique key (as the partial unique index). */
  holder(key: string): T | undefined {
    // The latest task stored with a key is the only one that can still hold it.
    const task = this.#lastWithKey.get(key);
    return task && !isFinishedStatus(task.record.status) ? task : undefined;
  }

  /** Records `task` as the latest with its unique key (none: nothing to record). */
  remember(task: T): void {
    if (task.record.uniqueKey !== null) this.#lastWithKey.set(task.record.uniqueKey, task);
  }

  /** Forgets every key. */
  clear(): void {
    this.#lastWithKey.clear();
  }
}
