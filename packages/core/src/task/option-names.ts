/** The options of `task()` and `using()`, checked against their types in `task.ts`. */

/** Every option `task()` takes: any other is a mistake (a typo, or an option of `using()`). */
export const TASK_OPTION_NAMES = [
  "name",
  "queueName",
  "priority",
  "backend",
  "takesContext",
  "maxAttempts",
  "backoff",
  "timeout",
  "verboseName",
] as const;

/** Every option `using()` takes. */
export const USING_OPTION_NAMES = [
  "priority",
  "queueName",
  "runAfter",
  "delay",
  "backend",
  "repeat",
  "repeatUntil",
  "verboseName",
  "creator",
  "maxAttempts",
  "uniqueKey",
  "transaction",
] as const;
