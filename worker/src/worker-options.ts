import type { RetentionSettings, ScheduleDefinition } from "@errand/core";
import {
  checkOptions,
  QUEUE_NAME_RULE,
  RETENTION_RULE,
  SCHEDULES_RULE,
  type OptionRule,
  type OptionSurface,
  type OptionTable,
} from "@errand/core/internal";
import { InvalidWorkerOption } from "./errors";
import { workerSurface } from "./worker-surface";
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

/** One row of an option table: the CLI flag, its check, its default and its `--help` line. */
export interface OptionSpec {
  /** The CLI flag without `--`, or null for an option of `new Worker()` only. */
  flag: string | null;
  /** What the flag's value is called in `--help` ("N", "S"); none for a switch. */
  arg?: string;
  /** What the value may be, checked by `checkOptions` (core's one option validator). */
  rule: OptionRule;
  /** Applied when the option is not given; also printed in `--help`. */
  default?: number | string | boolean | null;
  help: string;
}

const SECONDS = { kind: "number", unit: "seconds" } as const;

/**
 * Every option of `new Worker()`, in `--help` order. The CLI's `errand worker` flags, their
 * parsing and their `--help` lines come from this table, and `resolveWorkerOptions` checks
 * the options of `new Worker()` with the same rules.
 */
export const WORKER_OPTIONS = {
  queues: {
    flag: "queue-name",
    arg: "Q",
    rule: {
      kind: "list",
      orAll: true,
      nonEmpty: true,
      of: QUEUE_NAME_RULE,
      expected: '"*" or a non-empty list of queue names',
    },
    help: '"*" for every queue (default), one name, or a comma list',
  },
  excludeQueues: {
    flag: "exclude-queues",
    arg: "Q",
    rule: { kind: "list", of: QUEUE_NAME_RULE, expected: "a list of queue names" },
    help: 'with --queue-name "*": every queue but these (comma list)',
  },
  concurrency: {
    flag: "concurrency",
    arg: "N",
    rule: { kind: "integer", min: 1 },
    default: 10,
    help: "tasks run at once",
  },
  prefetch: {
    flag: "prefetch",
    arg: "N",
    rule: { kind: "integer", min: 0 },
    default: 1000,
    help: "most tasks claimed ahead of free slots (sized from throughput; 0: none)",
  },
  interval: {
    flag: "interval",
    arg: "S",
    rule: { ...SECONDS, min: 0 },
    default: 1,
    help: "seconds between polls, the fallback to LISTEN/NOTIFY",
  },
  batch: { flag: "batch", rule: { kind: "boolean" }, default: false, help: "run what is due, then exit (cron)" },
  duration: {
    flag: "duration",
    arg: "S",
    rule: { ...SECONDS, above: 0 },
    default: null,
    help: "exit cleanly after S seconds",
  },
  maxTasks: {
    flag: "max-tasks",
    arg: "N",
    rule: { kind: "integer", min: 1 },
    default: null,
    help: "exit after N tasks finished (succeeded or failed)",
  },
  workerId: {
    flag: "worker-id",
    arg: "ID",
    rule: { kind: "string", minLength: 1, maxLength: MAX_WORKER_ID_LENGTH },
    help: `stored on each task it runs (default host-pid-random; max ${MAX_WORKER_ID_LENGTH} chars)`,
  },
  backend: {
    flag: "backend",
    arg: "ALIAS",
    rule: { kind: "string", minLength: 1 },
    default: "default",
    help: "backend to use; must be a database backend",
  },
  startupDelay: {
    flag: "startup-delay",
    arg: "S",
    rule: { ...SECONDS, min: 0 },
    default: 0,
    help: "wait a random 0..S seconds before starting",
  },
  leaseSeconds: {
    flag: "lease",
    arg: "S",
    rule: { ...SECONDS, above: 0 },
    default: 30,
    help: "seconds a claim holds without renewal",
  },
  shutdownGraceSeconds: {
    flag: "shutdown-grace",
    arg: "S",
    rule: { ...SECONDS, min: 0 },
    default: 30,
    help: "seconds running tasks get to finish on shutdown",
  },
  rescueIntervalSeconds: {
    flag: "rescue-interval",
    arg: "S",
    rule: { ...SECONDS, above: 0 },
    help: "seconds between sweeps for lapsed leases (default half the lease, at most 15)",
  },
  maxStallSeconds: {
    flag: "max-stall",
    arg: "S",
    rule: { ...SECONDS, above: 0 },
    default: 600,
    help: "seconds the event loop may stay blocked before the process ends and its tasks are rescued",
  },
  listen: { flag: null, rule: { kind: "boolean" }, default: true, help: "LISTEN for enqueues (else poll only)" },
  listenUrl: {
    flag: "listen-url",
    arg: "URL",
    rule: {
      kind: "string",
      pattern: /^postgres(ql)?:\/\//,
      expected: "a postgres:// connection string (direct to Postgres, not through the pooler)",
    },
    default: null,
    help: "LISTEN on this connection, direct to Postgres when the backend's url is a pooler (PgBouncer); default the backend's listenUrl, else its url",
  },
  metricsPort: {
    flag: "metrics-port",
    arg: "N",
    rule: { kind: "integer", min: 0, max: 65535, hint: "a port number" },
    default: null,
    help: "serve Prometheus metrics at http://0.0.0.0:N/metrics (needs prom-client)",
  },
  retention: {
    flag: null,
    rule: RETENTION_RULE,
    help: "delete finished tasks past these ages (the CLI reads errand.config.ts)",
  },
  schedules: {
    flag: null,
    rule: SCHEDULES_RULE,
    help: "cron schedules to enqueue (the CLI reads errand.config.ts)",
  },
  logger: {
    flag: null,
    rule: {
      kind: "check",
      expected: "a logger { debug, info, warn, error }",
      test: (value) =>
        typeof value === "object" &&
        value !== null &&
        (["debug", "info", "warn", "error"] as const).every((level) => typeof (value as Logger)[level] === "function"),
    },
    help: "where log lines go",
  },
} as const satisfies Record<keyof WorkerOptions, OptionSpec>;

/** The rules alone, keyed by option: what `checkOptions` reads. */
const WORKER_RULES: OptionTable = Object.fromEntries(
  Object.entries(WORKER_OPTIONS).map(([name, spec]) => [name, spec.rule as OptionRule]),
);

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
  const flag: string | null = WORKER_OPTIONS[name]?.flag ?? null;
  return flag === null ? name : `--${flag}`;
};

/**
 * Checks `new Worker()`'s options against `WORKER_OPTIONS` (an unknown option is refused)
 * and applies the defaults.
 *
 * @throws InvalidWorkerOption naming the option and what it must be.
 * @example
 * const resolved = resolveWorkerOptions({ concurrency: 5 }); // resolved.leaseSeconds === 30
 */
export function resolveWorkerOptions(
  options: WorkerOptions = {},
  label: OptionLabel = keyLabel,
): ResolvedWorkerOptions {
  const surface = workerSurface(label === keyLabel ? undefined : (name) => label(name as OptionName));
  checkOptions(options, WORKER_RULES, surface);
  const queues = normalizeQueues(options.queues ?? "*", label("queues"), surface);
  let excludeQueues: readonly string[] = [];
  // An empty list excludes nothing (the CLI refuses an empty --exclude-queues itself).
  if (options.excludeQueues != null && options.excludeQueues.length > 0) {
    const excluded = normalizeQueues(options.excludeQueues, label("excludeQueues"), surface);
    if (excluded === "*") {
      throw new InvalidWorkerOption(
        "excludeQueues",
        `${surface.where}: ${label("excludeQueues")} "*" would exclude every queue; name the queues to leave out.`,
      );
    }
    excludeQueues = excluded;
  }
  if (excludeQueues.length > 0 && queues !== "*") {
    throw new InvalidWorkerOption(
      "excludeQueues",
      `${surface.where}: ${label("excludeQueues")} only goes with ${label("queues")} "*" (every queue but these).`,
    );
  }
  const leaseSeconds = options.leaseSeconds ?? WORKER_OPTIONS.leaseSeconds.default;
  const rescueIntervalSeconds = options.rescueIntervalSeconds ?? Math.min(leaseSeconds / 2, 15);
  // The derived default is checked like a given value (a tiny lease could make it 0).
  checkOptions({ rescueIntervalSeconds }, { rescueIntervalSeconds: WORKER_RULES.rescueIntervalSeconds! }, surface);
  return {
    queues,
    excludeQueues,
    concurrency: options.concurrency ?? WORKER_OPTIONS.concurrency.default,
    prefetch: options.prefetch ?? WORKER_OPTIONS.prefetch.default,
    interval: options.interval ?? WORKER_OPTIONS.interval.default,
    workerId: options.workerId ?? defaultWorkerId(),
    backend: options.backend ?? WORKER_OPTIONS.backend.default,
    leaseSeconds,
    shutdownGraceSeconds: options.shutdownGraceSeconds ?? WORKER_OPTIONS.shutdownGraceSeconds.default,
    batch: options.batch ?? WORKER_OPTIONS.batch.default,
    maxTasks: options.maxTasks ?? null,
    duration: options.duration ?? null,
    startupDelay: options.startupDelay ?? WORKER_OPTIONS.startupDelay.default,
    rescueIntervalSeconds,
    maxStallSeconds: options.maxStallSeconds ?? WORKER_OPTIONS.maxStallSeconds.default,
    listen: options.listen ?? WORKER_OPTIONS.listen.default,
    retention: resolveRetention(options.retention ?? undefined),
    schedules: resolveSchedules(options.schedules ?? undefined),
    listenUrl: options.listenUrl ?? null,
    metricsPort: options.metricsPort ?? null,
    logger: options.logger ?? createLogger({ level: "warn" }),
  };
}

/** `"*"`, or the distinct names (a list holding only `"*"` means every queue). Checked by the table first. */
function normalizeQueues(
  queues: readonly string[] | "*",
  label: string,
  surface: OptionSurface,
): readonly string[] | "*" {
  if (queues === "*") return "*";
  if (queues.includes("*")) {
    if (queues.length > 1) {
      throw new InvalidWorkerOption(
        label,
        `${surface.where}: ${label}: "*" already means every queue; do not list others with it.`,
      );
    }
    return "*";
  }
  return [...new Set<string>(queues)];
}
