import { MAX_QUEUE_NAME_LENGTH, type RetentionSettings, type ScheduleDefinition } from "@errand/core";
import { InvalidWorkerOption } from "./errors";
import { createLogger, type Logger } from "./logger";
import { defaultWorkerId, MAX_WORKER_ID_LENGTH } from "./worker-id";
import { resolveRetention, type ResolvedRetention } from "./retention-pruner";
import { resolveSchedules, type ResolvedSchedule } from "./scheduler";

/** Options of `new Worker()`. All optional. */
export interface WorkerOptions {
  /** Queue names to run, or `"*"` / `["*"]` for every queue. Default every queue. */
  queues?: readonly string[] | "*" | undefined;
  /** With `queues: "*"`: every queue but these. */
  excludeQueues?: readonly string[] | undefined;
  /** Tasks run at once. Default 10. */
  concurrency?: number | undefined;
  /**
   * Most tasks claimed ahead of free slots and started from memory as slots free up (a
   * local queue). The worker sizes it from its throughput, up to this; tasks not started
   * within a few seconds, and all of them on shutdown, go back untouched. 0: claim only
   * for free slots. Default 1000.
   */
  prefetch?: number | undefined;
  /** Seconds between polls, the fallback to LISTEN/NOTIFY. Default 1. */
  interval?: number | undefined;
  /** Stored on every task it claims. Default `host-pid-random`; at most `MAX_WORKER_ID_LENGTH` characters. */
  workerId?: string | undefined;
  /** Alias of a database backend from `configure()`. Default "default". */
  backend?: string | undefined;
  /** Seconds a claim holds without renewal before other workers may re-queue it. Default 30. */
  leaseSeconds?: number | undefined;
  /** Seconds `stop()` lets running tasks finish before aborting their `signal`. Default 30. */
  shutdownGraceSeconds?: number | undefined;
  /** Run what is due, then stop (cron use). Default false. */
  batch?: boolean | undefined;
  /** Stop after this many tasks finished (succeeded or failed). Default no limit. */
  maxTasks?: number | null | undefined;
  /** Stop after this many seconds. Default no limit. */
  duration?: number | null | undefined;
  /** Wait a random 0…this many seconds before the first claim (spreads a fleet). Default 0. */
  startupDelay?: number | undefined;
  /** Seconds between sweeps for lapsed leases. Default half the lease, at most 15. */
  rescueIntervalSeconds?: number | undefined;
  /**
   * Seconds the event loop may stay blocked (a task's synchronous work) before the
   * heartbeat thread ends the process, so other workers rescue its tasks. Leases are kept
   * meanwhile. Default 600.
   */
  maxStallSeconds?: number | undefined;
  /** LISTEN for enqueues (else poll only). Default true. */
  listen?: boolean | undefined;
  /**
   * Delete finished tasks past these ages, in batches, one worker at a time (the CLI takes
   * it from `errand.config.ts`). Default: keep everything.
   */
  retention?: RetentionSettings | undefined;
  /**
   * Cron schedules to enqueue (the CLI takes them from `errand.config.ts`); each tick is
   * enqueued once however many workers run. Not run by `batch` workers.
   */
  schedules?: ScheduleDefinition[] | undefined;
  /**
   * Where to LISTEN: a direct connection to Postgres when the backend's `url` goes through a
   * pooler in transaction mode (PgBouncer). Default the backend's `listenUrl`, else its `url`.
   */
  listenUrl?: string | undefined;
  /**
   * Serve Errand's metrics in the Prometheus text format at `http://0.0.0.0:<port>/metrics`
   * (needs the `prom-client` package). A port already in use fails `start()`. Default: none.
   */
  metricsPort?: number | null | undefined;
  /** Default: warnings and errors to stdout. The CLI passes an "info" logger. */
  logger?: Logger | undefined;
}

/** A number option's bounds. `above` is exclusive, `min` inclusive. */
export interface NumberRule {
  type: "number";
  integer?: boolean;
  min?: number;
  above?: number;
}

/** How an option's value is checked, by `new Worker()` and by the CLI's flag parser alike. */
export type OptionRule =
  | NumberRule
  | { type: "boolean" }
  | { type: "string"; maxLength?: number }
  | { type: "queues" }
  | { type: "choice"; values: readonly string[] };

/** One row of an option table: the CLI flag, its check, its default and its `--help` line. */
export interface OptionSpec {
  /** The CLI flag without `--`, or null for an option of `new Worker()` only. */
  flag: string | null;
  /** What the flag's value is called in `--help` ("N", "S"); none for a switch. */
  arg?: string;
  rule: OptionRule;
  /** Applied when the option is not given; also printed in `--help`. */
  default?: number | string | boolean | null;
  help: string;
}

/**
 * Every option of `new Worker()`, in `--help` order. The CLI's `errand worker` flags, their
 * parsing and their `--help` lines come from this table, and `resolveWorkerOptions` checks
 * the options of `new Worker()` with the same rules.
 */
export const WORKER_OPTIONS = {
  queues: {
    flag: "queue-name",
    arg: "Q",
    rule: { type: "queues" },
    help: '"*" for every queue (default), one name, or a comma list',
  },
  excludeQueues: {
    flag: "exclude-queues",
    arg: "Q",
    rule: { type: "queues" },
    help: 'with --queue-name "*": every queue but these (comma list)',
  },
  concurrency: {
    flag: "concurrency",
    arg: "N",
    rule: { type: "number", integer: true, min: 1 },
    default: 10,
    help: "tasks run at once",
  },
  prefetch: {
    flag: "prefetch",
    arg: "N",
    rule: { type: "number", integer: true, min: 0 },
    default: 1000,
    help: "most tasks claimed ahead of free slots (sized from throughput; 0: none)",
  },
  interval: {
    flag: "interval",
    arg: "S",
    rule: { type: "number", min: 0 },
    default: 1,
    help: "seconds between polls, the fallback to LISTEN/NOTIFY",
  },
  batch: { flag: "batch", rule: { type: "boolean" }, default: false, help: "run what is due, then exit (cron)" },
  duration: {
    flag: "duration",
    arg: "S",
    rule: { type: "number", above: 0 },
    default: null,
    help: "exit cleanly after S seconds",
  },
  maxTasks: {
    flag: "max-tasks",
    arg: "N",
    rule: { type: "number", integer: true, min: 1 },
    default: null,
    help: "exit after N tasks finished (succeeded or failed)",
  },
  workerId: {
    flag: "worker-id",
    arg: "ID",
    rule: { type: "string", maxLength: MAX_WORKER_ID_LENGTH },
    help: `stored on each task it runs (default host-pid-random; max ${MAX_WORKER_ID_LENGTH} chars)`,
  },
  backend: {
    flag: "backend",
    arg: "ALIAS",
    rule: { type: "string" },
    default: "default",
    help: "backend to use; must be a database backend",
  },
  startupDelay: {
    flag: "startup-delay",
    arg: "S",
    rule: { type: "number", min: 0 },
    default: 0,
    help: "wait a random 0..S seconds before starting",
  },
  leaseSeconds: {
    flag: "lease",
    arg: "S",
    rule: { type: "number", above: 0 },
    default: 30,
    help: "seconds a claim holds without renewal",
  },
  shutdownGraceSeconds: {
    flag: "shutdown-grace",
    arg: "S",
    rule: { type: "number", min: 0 },
    default: 30,
    help: "seconds running tasks get to finish on shutdown",
  },
  rescueIntervalSeconds: {
    flag: "rescue-interval",
    arg: "S",
    rule: { type: "number", above: 0 },
    help: "seconds between sweeps for lapsed leases (default half the lease, at most 15)",
  },
  maxStallSeconds: {
    flag: "max-stall",
    arg: "S",
    rule: { type: "number", above: 0 },
    default: 600,
    help: "seconds the event loop may stay blocked before the process ends and its tasks are rescued",
  },
  listen: { flag: null, rule: { type: "boolean" }, default: true, help: "LISTEN for enqueues (else poll only)" },
  listenUrl: {
    flag: "listen-url",
    arg: "URL",
    rule: { type: "string" },
    default: null,
    help: "LISTEN on this connection, direct to Postgres when the backend's url is a pooler (PgBouncer); default the backend's listenUrl, else its url",
  },
  metricsPort: {
    flag: "metrics-port",
    arg: "N",
    rule: { type: "number", integer: true, min: 0 },
    default: null,
    help: "serve Prometheus metrics at http://0.0.0.0:N/metrics (needs prom-client)",
  },
} as const satisfies Record<Exclude<keyof WorkerOptions, "logger" | "retention" | "schedules">, OptionSpec>;

/** The options a worker runs with: checked, defaults applied. */
export interface ResolvedWorkerOptions {
  queues: readonly string[] | "*";
  excludeQueues: readonly string[];
  concurrency: number;
  prefetch: number;
  interval: number;
  workerId: string;
  backend: string;
  leaseSeconds: number;
  shutdownGraceSeconds: number;
  batch: boolean;
  maxTasks: number | null;
  duration: number | null;
  startupDelay: number;
  rescueIntervalSeconds: number;
  maxStallSeconds: number;
  listen: boolean;
  retention: ResolvedRetention | null;
  schedules: ResolvedSchedule[];
  listenUrl: string | null;
  metricsPort: number | null;
  logger: Logger;
}

type OptionName = keyof typeof WORKER_OPTIONS;

/** How an option is named in messages: its key for `new Worker()`, its flag for the CLI. */
export type OptionLabel = (name: OptionName) => string;

const keyLabel: OptionLabel = (name) => name;

/** Labels that name the CLI flag (`--queue-name`), for messages to CLI users. */
export const flagLabel: OptionLabel = (name) => {
  const flag: string | null = WORKER_OPTIONS[name].flag;
  return flag === null ? name : `--${flag}`;
};

/**
 * Checks `new Worker()`'s options against `WORKER_OPTIONS` and applies the defaults.
 *
 * @throws InvalidWorkerOption naming the option and what it must be.
 * @example
 * const resolved = resolveWorkerOptions({ concurrency: 5 }); // resolved.leaseSeconds === 30
 */
export function resolveWorkerOptions(
  options: WorkerOptions = {},
  label: OptionLabel = keyLabel,
): ResolvedWorkerOptions {
  const queues = normalizeQueues(options.queues ?? "*", label("queues"));
  let excludeQueues: readonly string[] = [];
  // An empty list excludes nothing (the CLI refuses an empty --exclude-queues itself).
  if (options.excludeQueues !== undefined && options.excludeQueues.length > 0) {
    const excluded = normalizeQueues(options.excludeQueues, label("excludeQueues"));
    if (excluded === "*") {
      throw new InvalidWorkerOption(
        "excludeQueues",
        `${label("excludeQueues")} "*" would exclude every queue; name the queues to leave out.`,
      );
    }
    excludeQueues = excluded;
  }
  if (excludeQueues.length > 0 && queues !== "*") {
    throw new InvalidWorkerOption(
      "excludeQueues",
      `${label("excludeQueues")} only goes with ${label("queues")} "*" (every queue but these).`,
    );
  }
  const workerId = options.workerId ?? defaultWorkerId();
  if (typeof workerId !== "string" || workerId.length === 0 || workerId.length > MAX_WORKER_ID_LENGTH) {
    throw new InvalidWorkerOption(
      "workerId",
      `${label("workerId")} must be 1 to ${MAX_WORKER_ID_LENGTH} characters, got ${JSON.stringify(workerId)}.`,
    );
  }
  const number = (name: NumberOptionName, value: number | null | undefined) =>
    checkNumber(name, value ?? (WORKER_OPTIONS[name] as OptionSpec).default, label);
  const leaseSeconds = number("leaseSeconds", options.leaseSeconds);
  return {
    queues,
    excludeQueues,
    concurrency: number("concurrency", options.concurrency),
    prefetch: number("prefetch", options.prefetch),
    interval: number("interval", options.interval),
    workerId,
    backend: options.backend ?? WORKER_OPTIONS.backend.default,
    leaseSeconds,
    shutdownGraceSeconds: number("shutdownGraceSeconds", options.shutdownGraceSeconds),
    batch: options.batch ?? WORKER_OPTIONS.batch.default,
    maxTasks: options.maxTasks == null ? null : number("maxTasks", options.maxTasks),
    duration: options.duration == null ? null : number("duration", options.duration),
    startupDelay: number("startupDelay", options.startupDelay),
    rescueIntervalSeconds: number(
      "rescueIntervalSeconds",
      options.rescueIntervalSeconds ?? Math.min(leaseSeconds / 2, 15),
    ),
    maxStallSeconds: number("maxStallSeconds", options.maxStallSeconds),
    listen: options.listen ?? WORKER_OPTIONS.listen.default,
    retention: resolveRetention(options.retention),
    schedules: resolveSchedules(options.schedules),
    listenUrl: checkListenUrl(options.listenUrl, label),
    metricsPort: options.metricsPort == null ? null : checkPort(number("metricsPort", options.metricsPort), label),
    logger: options.logger ?? createLogger({ level: "warn" }),
  };
}

function checkPort(port: number, label: OptionLabel): number {
  if (port > 65535) {
    throw new InvalidWorkerOption(
      "metricsPort",
      `${label("metricsPort")} must be a port number (0 to 65535), got ${port}.`,
    );
  }
  return port;
}

function checkListenUrl(value: unknown, label: OptionLabel): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "string" || !/^postgres(ql)?:\/\//.test(value)) {
    throw new InvalidWorkerOption(
      "listenUrl",
      `${label("listenUrl")} must be a postgres:// connection string (direct to Postgres, not through the pooler), got ${show(value)}.`,
    );
  }
  return value;
}

type NumberOptionName = {
  [K in OptionName]: (typeof WORKER_OPTIONS)[K]["rule"] extends NumberRule ? K : never;
}[OptionName];

function checkNumber(name: NumberOptionName, value: unknown, label: OptionLabel): number {
  const rule: NumberRule = WORKER_OPTIONS[name].rule;
  if (typeof value !== "number" || numberProblems(rule, value).length > 0) {
    throw new InvalidWorkerOption(name, `${label(name)} must be ${describeNumberRule(rule)}, got ${String(value)}.`);
  }
  return value;
}

/** What is wrong with `value` under `rule` ("a whole number", "at least 1"); empty when nothing. */
export function numberProblems(rule: NumberRule, value: number): string[] {
  if (!Number.isFinite(value)) return ["a number"];
  const problems: string[] = [];
  if (rule.integer && !Number.isInteger(value)) problems.push("a whole number");
  if (rule.min !== undefined && value < rule.min) problems.push(`at least ${rule.min}`);
  if (rule.above !== undefined && value <= rule.above) problems.push(`greater than ${rule.above}`);
  return problems;
}

/** The rule in words, for `new Worker()`'s messages: "a positive integer", "a number of seconds >= 0". */
function describeNumberRule(rule: NumberRule): string {
  const noun = rule.integer ? "integer" : "number of seconds";
  if (rule.above === 0 || (rule.integer && rule.min === 1)) return `a positive ${noun}`;
  return `a ${noun} >= ${rule.min ?? rule.above}`;
}

/**
 * `"*"`, or a list of distinct queue names of 1 to `MAX_QUEUE_NAME_LENGTH` (32) characters (a list holding only
 * `"*"` means every queue).
 */
export function normalizeQueues(queues: readonly string[] | "*", label: string): readonly string[] | "*" {
  if (queues === "*") return "*";
  if (!Array.isArray(queues) || queues.length === 0) {
    throw new InvalidWorkerOption(label, `${label} needs "*" or a non-empty list of queue names, got ${show(queues)}.`);
  }
  if (queues.includes("*")) {
    if (queues.length > 1) {
      throw new InvalidWorkerOption(label, `${label}: "*" already means every queue; do not list others with it.`);
    }
    return "*";
  }
  for (const q of queues) {
    if (typeof q !== "string" || q.length === 0 || q.length > MAX_QUEUE_NAME_LENGTH) {
      throw new InvalidWorkerOption(
        label,
        `${label}: queue names are 1 to ${MAX_QUEUE_NAME_LENGTH} characters, got ${show(q)}.`,
      );
    }
  }
  return [...new Set<string>(queues)];
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}
