import type { TaskRecord } from "../types";
import type { TaskChangeEvent, TaskChangeListener, Unsubscribe } from "./task-change";

/**
 * Hands task change events to the subscribers in this process, synchronously: the whole push
 * feed of a backend that keeps its tasks here (immediate, dummy), which announces each change
 * itself; and the fan-out of the database backend's `TaskChangeFeed`.
 */
export class LocalChangeFeed {
  readonly #listeners = new Set<TaskChangeListener>();

  subscribe(listener: TaskChangeListener): Unsubscribe {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /** How many subscribers are listening now. */
  get subscriberCount(): number {
    return this.#listeners.size;
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
