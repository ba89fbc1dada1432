import type { TaskRecord } from "../types";
import type { TaskChangeEvent, TaskChangeListener, Unsubscribe } from "./task-change";

/**
 * The push feed of a backend that keeps its tasks in this process (immediate, dummy): the
 * backend announces each change itself, and subscribers hear it synchronously.
 */
export class LocalChangeFeed {
  readonly #listeners = new Set<TaskChangeListener>();

  subscribe(listener: TaskChangeListener): Unsubscribe {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Tells subscribers that these tasks changed (from `previous` status, when known). */
  announce(records: readonly TaskRecord[], previous: ReadonlyMap<string, TaskRecord["status"]> | null): void {
    if (records.length === 0 || this.#listeners.size === 0) return;
    this.emit({
      type: "changes",
      changes: records.map((r) => ({
        id: r.id,
        status: r.status,
        previousStatus: previous?.get(r.id) ?? null,
        queueName: r.queueName,
        taskName: r.taskName,
      })),
    });
  }

  emit(event: TaskChangeEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        console.error("errand: a task change listener threw; carrying on.", error);
      }
    }
  }
}
