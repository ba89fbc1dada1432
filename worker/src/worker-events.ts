// The worker's events, and the one place that emits a task's start and finish: to the
// worker's own listeners and to core's process-wide `taskEvents`, guarded so a listener
// that throws never breaks the claim loop.
import type { EventEmitter } from "node:events";
import { taskEvents, type TaskRecord } from "@errand/core";
import { emitTaskEvent, toErrandError } from "@errand/core/internal";
import type { Logger } from "./logger";

/** The worker's events. Payloads are the task's record as the store returned it. */
export interface WorkerEvents {
  /** A task was claimed and is about to run (Django's `task_started`). */
  taskStarted: [record: TaskRecord];
  /**
   * An attempt's outcome is stored (Django's `task_finished`): SUCCESSFUL, FAILED, or
   * PENDING when it will be retried.
   */
  taskFinished: [record: TaskRecord];
  /** Batch mode: nothing due is left. The worker stops next. */
  drained: [];
  /** The worker stopped: nothing runs, results are stored, connections closed. */
  stopped: [];
}

/** A task event the worker announces: its own `taskStarted`/`taskFinished` and core's `started`/`finished`. */
export type TaskAnnouncement = "started" | "finished";

/**
 * Emits a worker's `taskStarted`/`taskFinished` and core's `taskEvents` (Django's
 * `task_started`/`task_finished`). A listener that throws is logged: it must not break
 * the claim loop.
 *
 * @example
 * const announcer = new TaskEventAnnouncer(worker, logger);
 * if (announcer.wanted("finished")) announcer.announce("finished", record);
 */
export class TaskEventAnnouncer {
  readonly #emitter: EventEmitter<WorkerEvents>;
  readonly #logger: Logger;

  constructor(emitter: EventEmitter<WorkerEvents>, logger: Logger) {
    this.#emitter = emitter;
    this.#logger = logger;
  }

  /** Whether anyone listens for `event`: records nobody reads need not be fetched. */
  wanted(event: TaskAnnouncement): boolean {
    return this.#emitter.listenerCount(ownEvent(event)) > 0 || taskEvents.listenerCount(event) > 0;
  }

  /** Emits `event` for `record` to the worker's listeners, then to `taskEvents`. */
  announce(event: TaskAnnouncement, record: TaskRecord): void {
    if (!this.wanted(event)) return;
    const own = ownEvent(event);
    try {
      this.#emitter.emit(own, record);
    } catch (error) {
      this.#logger.error(`a "${own}" listener threw; carrying on`, { error: toErrandError(error).message });
    }
    emitTaskEvent(event, record);
  }
}

function ownEvent(event: TaskAnnouncement): "taskStarted" | "taskFinished" {
  return event === "started" ? "taskStarted" : "taskFinished";
}
