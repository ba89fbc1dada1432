import { MAX_TASK_NAME_LENGTH } from "@errand/db";
import { InvalidConfig, InvalidTaskBackend } from "../errors";
import type { OptionSurface } from "../options/check-options";
import { isPlainObject } from "../options/describe-option";
import type { OptionRule, OptionTable } from "../options/option-rule";
import { BACKEND_ALIAS_RULE, POSITIVE_INTEGER_RULE, QUEUE_NAME_RULE, QUEUE_NAMES_RULE } from "../options/shared-rules";
import type { QueueSettings } from "../types";
import type { ErrandConfig, RetentionSettings, ScheduleDefinition } from "./define-config";
import type { DatabaseBackendSettings } from "../backends/database/database-backend-settings";
import type { DummyBackendSettings } from "../backends/dummy/dummy-backend-settings";
import type { ImmediateBackendSettings } from "../backends/immediate/immediate-backend-settings";

/**
 * The option tables of `configure()` and `errand.config.ts`: every setting, nested ones
 * included, and what it may be. `checkOptions` reads them; the worker checks `retention`
 * and `schedules` with the same tables.
 */

/** `queues.<name>`: flow control that holds across every worker. */
export const QUEUE_OPTIONS = {
  concurrency: POSITIVE_INTEGER_RULE,
  rateLimit: {
    kind: "object",
    table: {
      limit: { ...POSITIVE_INTEGER_RULE, required: true },
      periodSeconds: { kind: "integer", min: 1, unit: "seconds", required: true },
    },
  },
} as const satisfies Record<keyof QueueSettings, OptionRule>;

/** `retention`: how long finished tasks are kept. */
export const RETENTION_OPTIONS = {
  successfulDays: { kind: "number", above: 0, unit: "days" },
  failedDays: { kind: "number", above: 0, unit: "days" },
  batchSize: POSITIVE_INTEGER_RULE,
  intervalSeconds: { kind: "number", above: 0, unit: "seconds" },
} as const satisfies Record<keyof RetentionSettings, OptionRule>;

/**
 * A time zone `Intl` knows: croner converts times with `Intl`, so it is the zone a schedule
 * can run in (in this Node.js, with its ICU data).
 */
function isTimeZone(value: unknown): boolean {
  if (typeof value !== "string" || value === "") return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** One entry of `schedules`. The worker also parses `cron` (croner) and checks `args` against the task. */
export const SCHEDULE_OPTIONS = {
  name: {
    kind: "string",
    minLength: 1,
    maxLength: MAX_TASK_NAME_LENGTH,
    pattern: /\S/,
    expected: `a unique, non-empty name of at most ${MAX_TASK_NAME_LENGTH} characters`,
    required: true,
  },
  task: {
    kind: "check",
    expected: "a task made by task(), e.g. task: sendDailyReport",
    test: (value) => typeof (value as { enqueue?: unknown } | null)?.enqueue === "function",
    required: true,
  },
  cron: { kind: "string", expected: 'a cron expression, e.g. "0 9 * * 1-5"', required: true },
  timezone: { kind: "check", expected: 'an IANA time zone name such as "Europe/Paris" or "UTC"', test: isTimeZone },
  args: { kind: "list", expected: "a list of the task's arguments" },
} as const satisfies Record<keyof ScheduleDefinition, OptionRule>;

/** `schedules`: a list of `SCHEDULE_OPTIONS` entries, no two with one name. */
export const SCHEDULES_RULE = {
  kind: "list",
  of: { kind: "object", table: SCHEDULE_OPTIONS },
  unique: "name",
  expected: "a list of { name, task, cron, timezone?, args? }",
} as const satisfies OptionRule;

/** `retention`: a `RETENTION_OPTIONS` object. */
export const RETENTION_RULE = { kind: "object", table: RETENTION_OPTIONS } as const satisfies OptionRule;

/** `backends.<alias>.backend`: which backend it is. */
const BACKEND_KIND_RULE = {
  kind: "check",
  expected: '"database", "immediate", "dummy" or a backend class (extend BaseBackend)',
  test: (value) => value === "database" || value === "immediate" || value === "dummy" || typeof value === "function",
  required: true,
} as const satisfies OptionRule;

/** The settings of each built-in backend, and the ones every custom backend gets. */
export const BACKEND_OPTIONS = {
  database: {
    backend: BACKEND_KIND_RULE,
    url: { kind: "string", minLength: 1 },
    db: { kind: "any" },
    queues: QUEUE_NAMES_RULE,
    listenUrl: {
      kind: "check",
      expected: "a connection string, or false to poll only",
      test: (value) => value === false || (typeof value === "string" && value.length > 0),
    },
    poolSize: POSITIVE_INTEGER_RULE,
    migrate: { kind: "boolean" },
    embeddedDir: { kind: "string", minLength: 1 },
  } satisfies Record<keyof DatabaseBackendSettings, OptionRule>,
  immediate: {
    backend: BACKEND_KIND_RULE,
    queues: QUEUE_NAMES_RULE,
    maxResults: POSITIVE_INTEGER_RULE,
  } satisfies Record<keyof ImmediateBackendSettings, OptionRule>,
  dummy: {
    backend: BACKEND_KIND_RULE,
    queues: QUEUE_NAMES_RULE,
  } satisfies Record<keyof DummyBackendSettings, OptionRule>,
  /** A custom backend's own options are its class's to check: only these are read here. */
  custom: { backend: BACKEND_KIND_RULE, queues: QUEUE_NAMES_RULE },
} as const satisfies Record<string, OptionTable>;

/** Every setting of `configure()`, which also takes the rest of an `errand.config.ts`. */
export const CONFIG_OPTIONS = {
  backends: {
    kind: "record",
    key: BACKEND_ALIAS_RULE,
    // Each entry is checked against its kind's table (BACKEND_OPTIONS) by `configure()`.
    value: {
      kind: "check",
      expected: '{ backend: "database" | "immediate" | "dummy" | YourBackend, … }',
      test: isPlainObject,
    },
    expected: 'an object of backend aliases, e.g. { default: { backend: "database" } }',
  },
  maxAttempts: POSITIVE_INTEGER_RULE,
  queues: {
    kind: "record",
    key: QUEUE_NAME_RULE,
    value: { kind: "object", table: QUEUE_OPTIONS },
    expected: "an object of queue names, e.g. { email: { concurrency: 5 } }",
  },
  tasks: { kind: "list", of: { kind: "string", minLength: 1 }, expected: "a list of module paths" },
  retention: RETENTION_RULE,
  schedules: SCHEDULES_RULE,
} as const satisfies Record<keyof ErrandConfig, OptionRule>;

/**
 * How `configure()` reports a bad setting: `InvalidTaskBackend` for one of a backend's
 * settings (as `getBackend` does), `InvalidConfig` for the rest.
 */
export const CONFIGURE_SURFACE: OptionSurface = {
  where: "configure()",
  error: (message, path, [top, alias]) =>
    top === "backends" && typeof alias === "string"
      ? new InvalidTaskBackend(alias, message)
      : new InvalidConfig(path, message),
};
