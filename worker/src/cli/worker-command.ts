import { migrate } from "@errand/db";
import type { Kysely } from "kysely";
import { createLogger, type LogLevel } from "../logger";
import { installSignalHandlers } from "../signals";
import { Worker } from "../worker";
import { databaseBackend, setUp } from "./common";

export interface WorkerCommandFlags {
  config?: string | undefined;
  backend: string;
  queues: string[] | "*";
  excludeQueues?: string[] | undefined;
  concurrency?: number | undefined;
  interval?: number | undefined;
  batch: boolean;
  duration?: number | undefined;
  maxTasks?: number | undefined;
  workerId?: string | undefined;
  startupDelay?: number | undefined;
  leaseSeconds?: number | undefined;
  shutdownGrace?: number | undefined;
  logLevel: LogLevel;
  migrate: boolean;
}

/** `errand worker`: loads the config and its tasks, then runs a worker until told to stop. */
export async function workerCommand(flags: WorkerCommandFlags): Promise<number> {
  const logger = createLogger({ level: flags.logLevel });
  const loaded = await setUp({
    config: flags.config,
    requireConfig: true,
    autoMigrate: flags.migrate ? false : undefined,
  });
  const backend = databaseBackend(flags.backend);
  if (flags.migrate) {
    const result = await migrate((await backend.getDb()) as Kysely<unknown>);
    const applied = (result.results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
    logger.info(applied.length ? "migrations applied" : "database schema up to date", { applied });
  }
  const worker = new Worker({
    queues: flags.queues,
    excludeQueues: flags.excludeQueues,
    concurrency: flags.concurrency,
    interval: flags.interval,
    batch: flags.batch,
    duration: flags.duration,
    maxTasks: flags.maxTasks,
    workerId: flags.workerId,
    backend: flags.backend,
    startupDelay: flags.startupDelay,
    leaseSeconds: flags.leaseSeconds,
    shutdownGraceSeconds: flags.shutdownGrace,
    logger,
  });
  logger.debug("config loaded", { file: loaded.file, taskModules: loaded.taskModules });
  const removeHandlers = installSignalHandlers(worker, logger);
  try {
    await worker.run();
  } finally {
    removeHandlers();
  }
  return 0;
}
