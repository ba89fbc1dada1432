import { InvalidTask } from "../errors";
import { MAX_PRIORITY, MAX_QUEUE_NAME_LENGTH, MAX_UNIQUE_KEY_LENGTH, MIN_PRIORITY } from "@errand/db";
import type { Backend } from "../backends/backend";
import { describeBackend } from "../backends/describe-backend";

export function validatePriority(priority: unknown, taskName?: string): number {
  if (typeof priority !== "number" || !Number.isInteger(priority)) {
    throw new InvalidTask(`priority must be an integer, got ${String(priority)}.`, taskName);
  }
  if (priority < MIN_PRIORITY || priority > MAX_PRIORITY) {
    throw new InvalidTask(
      `priority must be between ${MIN_PRIORITY} and ${MAX_PRIORITY} (higher runs first), got ${priority}.`,
      taskName,
    );
  }
  return priority;
}

export function validateQueueName(queueName: unknown, taskName?: string): string {
  if (typeof queueName !== "string" || queueName.length === 0 || queueName.length > MAX_QUEUE_NAME_LENGTH) {
    throw new InvalidTask(
      `queueName must be a non-empty string of at most ${MAX_QUEUE_NAME_LENGTH} characters, got ${JSON.stringify(queueName)}.`,
      taskName,
    );
  }
  return queueName;
}

export function validateUniqueKey(key: unknown, taskName?: string): string {
  if (typeof key !== "string" || key.length === 0 || key.length > MAX_UNIQUE_KEY_LENGTH) {
    throw new InvalidTask(
      `uniqueKey must be a non-empty string of at most ${MAX_UNIQUE_KEY_LENGTH} characters, e.g. \`order:\${orderId}\`, got ${JSON.stringify(key) ?? typeof key}.`,
      taskName,
    );
  }
  return key;
}

export function validatePositiveInteger(value: unknown, what: string, taskName?: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new InvalidTask(`${what} must be a positive integer, got ${String(value)}.`, taskName);
  }
  return value;
}

export function validatePositiveNumber(value: unknown, what: string, taskName?: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new InvalidTask(`${what} must be a positive number of seconds, got ${String(value)}.`, taskName);
  }
  return value;
}

export function validateDate(value: unknown, what: string, taskName?: string): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new InvalidTask(`${what} must be a valid Date, got ${String(value)}.`, taskName);
  }
  return value;
}

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
