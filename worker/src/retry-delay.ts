import { defaultBackoff, type TaskRecord } from "@errand/core";
import { mayRetry, registeredTasks } from "@errand/core/internal";
import { WorkerShutdown } from "./errors";

/**
 * Seconds until the retry a failed attempt asks for, or `null` when the error rules out a
 * retry (core's `mayRetry`: a `DoNotRetry`, a non-JSON return value, an unregistered task, a cancel). Whether attempts remain is not decided here:
 * `taskFail` decides that in the store, once, from the task's `attempts` and `maxAttempts`,
 * and the stored task's status (PENDING or FAILED) is the decision everyone reads back.
 *
 * @example
 * retryDelayFor(task, new Error("boom")); // the task's backoff(task.attempts), e.g. 6 for attempt 1
 */
export function retryDelayFor(task: Pick<TaskRecord, "taskName" | "attempts">, error: unknown): number | null {
  if (!mayRetry(error)) return null;
  // Aborted by shutdown: not the task's fault, so retry at once (the attempt still counts).
  if (error instanceof WorkerShutdown) return 0;
  let delay: number;
  try {
    delay = registeredTasks().get(task.taskName)?.backoff(task.attempts) ?? 0;
  } catch {
    // The task's own backoff threw: fall back to the default one.
    delay = defaultBackoff(task.attempts);
  }
  return Number.isFinite(delay) && delay >= 0 ? delay : 0;
}
