import { InvalidTask } from "../errors";
import type { Backend } from "../backends/backend";
import { describeBackend } from "../backends/describe-backend";

/**
 * The backend-dependent checks of Django's `validate_task`, in its order: async support,
 * priority support, defer support, queue allow-list. Each message names the backend and the
 * capability flag it lacks.
 */
export function validateForBackend(
  backend: Backend,
  options: { taskName: string; priority: number; runAfter: Date | null; queueName: string; isAsync?: boolean },
): void {
  if (!backend.supportsAsyncTask && options.isAsync === true) {
    throw new InvalidTask(
      `${describeBackend(backend)} does not support async tasks (supportsAsyncTask is false): make the function synchronous or use another backend.`,
      options.taskName,
    );
  }
  if (!backend.supportsPriority && options.priority !== 0) {
    throw new InvalidTask(
      `${describeBackend(backend)} does not support priority (supportsPriority is false): leave priority at 0.`,
      options.taskName,
    );
  }
  if (!backend.supportsDefer && options.runAfter !== null) {
    throw new InvalidTask(
      `${describeBackend(backend)} cannot defer tasks (supportsDefer is false): remove runAfter/delay or use a database backend.`,
      options.taskName,
    );
  }
  const allowed = backend.allowedQueues;
  if (allowed && allowed.length > 0 && !allowed.includes(options.queueName)) {
    throw new InvalidTask(
      `Queue "${options.queueName}" is not one of backend "${backend.alias}"'s queues (${allowed.join(", ")}). Add it to the backend's "queues" setting.`,
      options.taskName,
    );
  }
}
