import {
  MAX_BACKEND_ALIAS_LENGTH,
  MAX_PRIORITY,
  MAX_QUEUE_NAME_LENGTH,
  MAX_TASK_NAME_LENGTH,
  MIN_PRIORITY,
} from "@errand/db";
import type { OptionRule } from "./option-rule";

/**
 * Rules several option tables share, so that a queue name or a priority is the same thing
 * (and is described the same way) in `task()`, `using()`, `configure()` and `new Worker()`.
 */

/** A queue name, as the schema stores it. */
export const QUEUE_NAME_RULE = {
  kind: "string",
  minLength: 1,
  maxLength: MAX_QUEUE_NAME_LENGTH,
} as const satisfies OptionRule;

/** A task's name, as the schema stores it; `task()` asks more of a new one (`TASK_OPTIONS.name`). */
export const TASK_NAME_RULE = {
  kind: "string",
  minLength: 1,
  maxLength: MAX_TASK_NAME_LENGTH,
} as const satisfies OptionRule;

/** A backend alias of `configure({ backends })`. */
export const BACKEND_ALIAS_RULE = {
  kind: "string",
  minLength: 1,
  maxLength: MAX_BACKEND_ALIAS_LENGTH,
} as const satisfies OptionRule;

/** A task's priority. */
export const PRIORITY_RULE = {
  kind: "integer",
  min: MIN_PRIORITY,
  max: MAX_PRIORITY,
  hint: "higher runs first",
} as const satisfies OptionRule;

/** A count of one or more (attempts, tasks, a batch size). */
export const POSITIVE_INTEGER_RULE = { kind: "integer", min: 1 } as const satisfies OptionRule;

/** A list of queue names (`backends.<alias>.queues`). */
export const QUEUE_NAMES_RULE = { kind: "list", of: QUEUE_NAME_RULE } as const satisfies OptionRule;
