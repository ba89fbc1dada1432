import { EventEmitter } from "node:events";
import type { TaskRecord } from "../types";

/** Django's `task_enqueued` / `task_started` / `task_finished` signals, as events. */
export interface TaskEventMap {
  /**
   * After the row is stored, with its PENDING snapshot (for a transactional enqueue: stored,
   * not yet committed). The immediate backend emits it before it runs the task.
   */
  enqueued: [event: TaskEvent];
  /** After the claim, before the function runs. */
  started: [event: TaskEvent];
  /** After an attempt's outcome is stored: SUCCESSFUL, FAILED, or PENDING for a retry. */
  finished: [event: TaskEvent];
}

export interface TaskEvent {
  /** A snapshot of the task's row. */
  record: TaskRecord;
  /** The alias of the backend that stores it. */
  backend: string;
}

const EVENTS_KEY = Symbol.for("errand.taskEvents");

/**
 * Task lifecycle events in this process: enqueues made here, and the starts and finishes of
 * tasks run here (by a worker or the immediate backend). A listener that throws is logged,
 * never breaks the enqueue or the worker.
 *
 * @example
 * taskEvents.on("finished", ({ record }) => metrics.count(record.taskName, record.status));
 */
export const taskEvents: EventEmitter<TaskEventMap> =
  ((globalThis as Record<symbol, unknown>)[EVENTS_KEY] as EventEmitter<TaskEventMap> | undefined) ??
  new EventEmitter<TaskEventMap>();
(globalThis as Record<symbol, unknown>)[EVENTS_KEY] = taskEvents;

/** Emits to every listener; a listener's error is logged, not thrown at the caller. */
export function emitTaskEvent(name: keyof TaskEventMap, record: TaskRecord): void {
  if (taskEvents.listenerCount(name) === 0) return;
  for (const listener of taskEvents.listeners(name)) {
    try {
      listener({ record, backend: record.backend });
    } catch (error) {
      console.error(`errand: a "${name}" task event listener threw; carrying on.`, error);
    }
  }
}
