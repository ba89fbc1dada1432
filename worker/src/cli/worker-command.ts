import { migrate } from "@errand/db";
import type { Kysely } from "kysely";
import { createLogger, LOG_LEVELS, type Logger, type LogLevel } from "../logger";
import { holdSignalsWhileStarting, installSignalHandlers } from "../signals";
import { Worker } from "../worker";
import { flagLabel, resolveWorkerOptions, WORKER_OPTIONS, type WorkerOptions } from "../worker-options";
import { databaseBackend, setUp } from "./common";
import { flagsOf, parseFlagValue, type FlagSpec, type RawFlagValue } from "./flags";

const LOG_LEVEL_FLAG = {
  flag: "log-level",
  arg: "L",
  rule: { kind: "enum", values: LOG_LEVELS },
  default: "info",
  help: LOG_LEVELS.join(", "),
} as const satisfies FlagSpec;

/** Flags of `errand worker` that are not options of `new Worker()`. */
export const WORKER_COMMAND_FLAGS: readonly FlagSpec[] = [
  { flag: "no-startup-delay", rule: { kind: "boolean" }, help: "same as --startup-delay 0" },
  LOG_LEVEL_FLAG,
  { flag: "migrate", rule: { kind: "boolean" }, help: "migrate the database before starting" },
];

/** Every flag of `errand worker` but the common ones (`--config`, `--backend`, `--help`). */
export const WORKER_FLAGS: readonly FlagSpec[] = [
  ...flagsOf(WORKER_OPTIONS)
    .filter(([name]) => name !== "backend")
    .map(([, spec]) => spec),
  ...WORKER_COMMAND_FLAGS,
];

export interface WorkerCommandFlags {
  config?: string | undefined;
  /** Checked options of `new Worker()` (no logger: the command makes one). */
  options: WorkerOptions;
  logLevel: LogLevel;
  migrate: boolean;
}

/**
 * Reads `errand worker`'s parsed flags through `WORKER_OPTIONS` and checks them with
 * `new Worker()`'s own rules, before any config is loaded.
 *
 * @throws UsageError or InvalidWorkerOption naming the flag.
 */
export function workerCommandFlags(values: Record<string, RawFlagValue>): WorkerCommandFlags {
  const options: Record<string, unknown> = {};
  for (const [name, spec] of flagsOf(WORKER_OPTIONS)) {
    const value = parseFlagValue(spec, values[spec.flag]);
    if (value !== undefined) options[name] = value;
  }
  if (values["no-startup-delay"] === true) options.startupDelay = 0;
  const logLevel = (parseFlagValue(LOG_LEVEL_FLAG, values["log-level"]) ?? LOG_LEVEL_FLAG.default) as LogLevel;
  resolveWorkerOptions(options, flagLabel);
  return {
    config: values.config as string | undefined,
    options,
    logLevel,
    migrate: values.migrate === true,
  };
}

/** `errand worker`: loads the config and its tasks, then runs a worker until told to stop. */
export async function workerCommand(flags: WorkerCommandFlags): Promise<number> {
  const logger = createLogger({ level: flags.logLevel });
  // A stop signal during start-up ends the command cleanly once set-up is done, before
  // anything is claimed (a deploy that stops a worker still loading its task modules).
  const early = holdSignalsWhileStarting();
  try {
    return await setUpAndRun(flags, logger, early);
  } finally {
    early.remove();
  }
}

async function setUpAndRun(
  flags: WorkerCommandFlags,
  logger: Logger,
  early: ReturnType<typeof holdSignalsWhileStarting>,
): Promise<number> {
  const loaded = await setUp({
    config: flags.config,
    requireConfig: true,
    autoMigrate: flags.migrate ? false : undefined,
  });
  const backend = databaseBackend(flags.options.backend ?? WORKER_OPTIONS.backend.default);
  if (flags.migrate) {
    const result = await migrate((await backend.getDb()) as Kysely<unknown>);
    const applied = (result.results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
    logger.info(applied.length ? "migrations applied" : "database schema up to date", { applied });
  }
  const { retention, schedules } = loaded.config;
  const worker = new Worker({ ...flags.options, retention, schedules, logger });
  logger.debug("config loaded", { file: loaded.file, taskModules: loaded.taskModules });
  const removeHandlers = installSignalHandlers(worker, logger);
  early.remove();
  const signal = early.received();
  if (signal) {
    removeHandlers();
    logger.info(`${signal} received while starting: not starting`);
    return 0;
  }
  try {
    await worker.run();
  } finally {
    removeHandlers();
  }
  return 0;
}
