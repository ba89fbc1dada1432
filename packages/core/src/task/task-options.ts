import { MAX_TASK_NAME_LENGTH, MAX_UNIQUE_KEY_LENGTH } from "@errand/db";
import { InvalidTask } from "../errors";
import type { OptionSurface } from "../options/check-options";
import type { OptionRule } from "../options/option-rule";
import {
  BACKEND_ALIAS_RULE,
  POSITIVE_INTEGER_RULE,
  PRIORITY_RULE,
  QUEUE_NAME_RULE,
  TASK_NAME_RULE,
} from "../options/shared-rules";
import type { EnqueueTransaction, TaskCreator } from "../types";
import type { TaskResult } from "../result/task-result";
import { delayToMilliseconds, type Delay } from "./repeat";

/** Options of `task()`. Only `name` is required. */
export interface TaskOptions {
  /** Stable name stored in the database and looked up by the worker, e.g. "accounts.sendWelcomeEmail". */
  name: string;
  /** Default "default". */
  queueName?: string;
  /** −100…100, higher runs first. Default 0. */
  priority?: number;
  /** Backend alias. Default "default". */
  backend?: string;
  /** Pass a `TaskContext` as the first argument. */
  takesContext?: boolean;
  /** Runs before the task is FAILED for good. Default from config (25). */
  maxAttempts?: number;
  /** Seconds to wait before retry number `attempts` (1-based). Default `attempts ** 4 + 5`. */
  backoff?: (attempts: number) => number;
  /** Seconds one attempt may run before its `signal` aborts and the attempt fails. */
  timeout?: number;
  /**
   * `"thread"`: the worker runs each attempt in its own `worker_threads` thread, which
   * imports the config's task modules and finds the task by name. For CPU-heavy work: it
   * blocks neither the worker's other tasks nor its lease heartbeat, and a `timeout` or a
   * cancel ends the thread (the function is stopped, not just told through `signal`).
   * Arguments, return value and progress cross the thread as JSON. Default: the worker's
   * event loop.
   */
  isolate?: "thread";
  /** A human name shown in the UI. */
  verboseName?: string;
  /**
   * Computed from the arguments at enqueue and stored: at most `concurrencyLimit` tasks with
   * the same key RUNNING at once, on every worker; the others wait PENDING, in order. Must
   * return a non-empty string (else the enqueue fails and nothing is stored).
   *
   * @example
   * concurrencyKey: (customerId: string) => `customer:${customerId}`
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  concurrencyKey?: (...args: any[]) => string;
  /** Tasks with the same `concurrencyKey` RUNNING at once. Default 1. */
  concurrencyLimit?: number;
}

/** Per-enqueue overrides of `task.using()`. `undefined` keeps the current value. */
export interface UsingOptions {
  priority?: number | undefined;
  queueName?: string | undefined;
  /** Absolute time the task becomes due. */
  runAfter?: Date | undefined;
  /** Relative delay (seconds when a number), computed at enqueue time. */
  delay?: Delay | number | undefined;
  backend?: string | undefined;
  /** Seconds between runs (see `Repeat`); the next run is scheduled when one succeeds. */
  repeat?: number | undefined;
  repeatUntil?: Date | undefined;
  verboseName?: string | undefined;
  creator?: TaskCreator | undefined;
  maxAttempts?: number | undefined;
  /**
   * While a task with this key is PENDING or RUNNING, `enqueue` stores nothing and returns
   * that task (`result.deduplicated === true`), however many callers enqueue at once.
   */
  uniqueKey?: string | undefined;
  /** The caller's Kysely transaction: the task row commits or rolls back with it. */
  transaction?: EnqueueTransaction | undefined;
  /**
   * Tasks (their results, or ids) that must all succeed before this one runs; at most 1,000,
   * stored on the same backend. It stays PENDING until then, and fails with
   * `DependencyFailed` without running if one of them fails. Its context's `dependencies`
   * holds their return values, in this order.
   */
  dependsOn?: readonly (TaskResult<unknown> | string)[] | undefined;
}

/** Every option of `task()` and what it may be: the one place they are checked (`checkOptions`). */
export const TASK_OPTIONS = {
  name: {
    ...TASK_NAME_RULE,
    pattern: /\S/,
    expected: `a stable, non-empty name of at most ${MAX_TASK_NAME_LENGTH} characters`,
    hint: 'e.g. task({ name: "emails.send" }, fn)',
    required: true,
  },
  queueName: QUEUE_NAME_RULE,
  priority: PRIORITY_RULE,
  backend: BACKEND_ALIAS_RULE,
  takesContext: { kind: "boolean" },
  maxAttempts: POSITIVE_INTEGER_RULE,
  backoff: { kind: "function", signature: "(attempts) => seconds" },
  timeout: { kind: "number", above: 0, unit: "seconds" },
  isolate: { kind: "enum", values: ["thread"], hint: "run each attempt in a worker thread, or leave it out" },
  verboseName: { kind: "string" },
  concurrencyKey: { kind: "function", signature: "(...args) => string", hint: "e.g. (id) => `customer:${id}`" },
  concurrencyLimit: POSITIVE_INTEGER_RULE,
} as const satisfies Record<keyof TaskOptions, OptionRule>;

/** Every option of `task.using()` and what it may be. */
export const USING_OPTIONS = {
  priority: PRIORITY_RULE,
  queueName: QUEUE_NAME_RULE,
  runAfter: { kind: "date" },
  delay: {
    kind: "check",
    expected: "a non-negative number of seconds or a duration such as { minutes: 20 }",
    test: (value) => {
      if (typeof value !== "number" && (typeof value !== "object" || value === null)) return false;
      const ms = delayToMilliseconds(value);
      return Number.isFinite(ms) && ms >= 0;
    },
  },
  backend: BACKEND_ALIAS_RULE,
  repeat: { kind: "integer", min: 1, unit: "seconds", hint: "see Repeat" },
  repeatUntil: { kind: "date" },
  verboseName: { kind: "string" },
  creator: {
    kind: "object",
    table: {
      type: { kind: "string", minLength: 1, required: true },
      id: { kind: "string", minLength: 1, required: true },
    },
  },
  maxAttempts: POSITIVE_INTEGER_RULE,
  uniqueKey: { kind: "string", minLength: 1, maxLength: MAX_UNIQUE_KEY_LENGTH, hint: "e.g. `order:${orderId}`" },
  transaction: { kind: "any" },
  dependsOn: { kind: "list", expected: "a list of task results or ids", hint: "e.g. using({ dependsOn: [a, b] })" },
} as const satisfies Record<keyof UsingOptions, OptionRule>;

/**
 * How `task()` and `using()` report a bad option: an `InvalidTask` whose message starts with
 * `task("name")` or `task("name").using()`.
 */
export function taskSurface(name: unknown, method?: "using"): OptionSurface {
  const where = `task(${typeof name === "string" ? JSON.stringify(name) : ""})${method ? `.${method}()` : ""}`;
  const taskName = typeof name === "string" ? name : undefined;
  return { where, error: (message) => new InvalidTask(message, taskName) };
}
