import { parseArgs, type ParseArgsConfig } from "node:util";
import { embeddedCommand } from "./embedded-command";
import { migrateCommand } from "./migrate-command";
import { pruneCommand } from "./prune-command";
import { statusCommand } from "./status-command";
import { numberFlag, UsageError } from "./usage-error";
import { workerCommand } from "./worker-command";
import { isLogLevel, LOG_LEVELS } from "../logger";

const HELP = `Usage: errand <command> [options]

Commands:
  worker     Run enqueued tasks until stopped (SIGTERM/SIGINT stop it gracefully)
  migrate    Create or update Errand's tables
  status     Task counts by queue and status, and the oldest due task
  prune      Delete finished tasks older than --age days
  embedded   start | url | stop: the project's embedded Postgres (.errand/, or ERRAND_HOME),
             used when no DATABASE_URL is set; it keeps running until stopped

Common options:
  --config PATH         errand.config.ts to load (default: ./errand.config.ts)
  --backend ALIAS       backend to use (default: "default"); must be a database backend
  -h, --help            show help

errand worker options:
  --queue-name Q        "*" for every queue (default), one name, or a comma list
  --exclude-queues Q    with --queue-name "*": every queue but these (comma list)
  --concurrency N       tasks run at once (default 10)
  --interval S          seconds between polls, the fallback to LISTEN/NOTIFY (default 1)
  --batch               run what is due, then exit (cron)
  --duration S          exit cleanly after S seconds
  --max-tasks N         exit after N tasks finished (succeeded or failed)
  --worker-id ID        stored on each task it runs (default host-pid-random; max 64 chars)
  --startup-delay S     wait a random 0..S seconds before starting (default 0)
  --lease S             seconds a claim holds without renewal (default 30)
  --shutdown-grace S    seconds running tasks get to finish on shutdown (default 30)
  --log-level L         debug, info, warn, error or silent (default info)
  --migrate             migrate the database before starting

errand status options:
  --json                print the counts as JSON

errand prune options:
  --age DAYS            finished more than DAYS ago (required; 0 = every finished task)
  --failed-age DAYS     age for FAILED tasks (default: --age)
  --status S            SUCCESSFUL and/or FAILED (comma list; default both)
  --queue-name Q        only this queue ("*" = every queue, the default)
  --dry-run             count, delete nothing
`;

const COMMON = {
  config: { type: "string" },
  backend: { type: "string", default: "default" },
  help: { type: "boolean", short: "h", default: false },
} as const;

const COMMANDS = {
  worker: {
    ...COMMON,
    "queue-name": { type: "string", default: "*" },
    "exclude-queues": { type: "string" },
    concurrency: { type: "string" },
    interval: { type: "string" },
    batch: { type: "boolean", default: false },
    duration: { type: "string" },
    "max-tasks": { type: "string" },
    "worker-id": { type: "string" },
    "startup-delay": { type: "string" },
    "no-startup-delay": { type: "boolean", default: false },
    lease: { type: "string" },
    "shutdown-grace": { type: "string" },
    "log-level": { type: "string", default: "info" },
    migrate: { type: "boolean", default: false },
  },
  migrate: { ...COMMON },
  status: { ...COMMON, json: { type: "boolean", default: false } },
  prune: {
    ...COMMON,
    age: { type: "string" },
    "failed-age": { type: "string" },
    status: { type: "string", multiple: true },
    "queue-name": { type: "string" },
    "dry-run": { type: "boolean", default: false },
  },
} as const;

type CommandName = keyof typeof COMMANDS;

/** Runs the `errand` command line and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "help" || command === "--help" || command === "-h") {
    process.stdout.write(HELP);
    return command === undefined ? 2 : 0;
  }
  if (command === "embedded") {
    if (rest.length > 1)
      throw new UsageError(`errand embedded takes one action (start, url or stop), got: ${rest.join(" ")}.`);
    return embeddedCommand(rest[0]);
  }
  if (!(command in COMMANDS)) {
    throw new UsageError(
      `Unknown command "${command}". Commands: ${[...Object.keys(COMMANDS), "embedded"].join(", ")}.`,
    );
  }
  const name = command as CommandName;
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    const options = COMMANDS[name] as ParseArgsConfig["options"];
    values = parseArgs({ args: rest, options, strict: true, allowPositionals: false }).values as typeof values;
  } catch (error) {
    throw new UsageError(`errand ${name}: ${(error as Error).message.replace(/\. To specify a positional.*$/s, ".")}`);
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const str = (key: string) => values[key] as string | undefined;
  const common = { config: str("config"), backend: str("backend") ?? "default" };
  switch (name) {
    case "worker": {
      const logLevel = str("log-level");
      if (!isLogLevel(logLevel))
        throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(", ")}, got "${logLevel}".`);
      const workerId = str("worker-id");
      if (workerId !== undefined && (workerId.length === 0 || workerId.length > 64)) {
        throw new UsageError(`--worker-id must be 1 to 64 characters, got ${workerId.length}.`);
      }
      const queues = parseQueues(str("queue-name") ?? "*");
      const excluded = str("exclude-queues");
      let excludeQueues: string[] | undefined;
      if (excluded !== undefined) {
        if (queues !== "*")
          throw new UsageError(`--exclude-queues only goes with --queue-name "*" (every queue but these).`);
        const parsed = parseQueues(excluded);
        if (parsed === "*")
          throw new UsageError(`--exclude-queues "*" would exclude every queue; name the queues to leave out.`);
        excludeQueues = parsed;
      }
      return workerCommand({
        ...common,
        queues,
        excludeQueues,
        concurrency: numberFlag("concurrency", str("concurrency"), { integer: true, min: 1 }),
        interval: numberFlag("interval", str("interval"), { min: 0 }),
        batch: values.batch === true,
        duration: numberFlag("duration", str("duration"), { above: 0 }),
        maxTasks: numberFlag("max-tasks", str("max-tasks"), { integer: true, min: 1 }),
        workerId,
        startupDelay: values["no-startup-delay"] ? 0 : numberFlag("startup-delay", str("startup-delay"), { min: 0 }),
        leaseSeconds: numberFlag("lease", str("lease"), { above: 0 }),
        shutdownGrace: numberFlag("shutdown-grace", str("shutdown-grace"), { min: 0 }),
        logLevel,
        migrate: values.migrate === true,
      });
    }
    case "migrate":
      return migrateCommand(common);
    case "status":
      return statusCommand({ ...common, json: values.json === true });
    case "prune": {
      const age = numberFlag("age", str("age"), { min: 0 });
      if (age === undefined) throw new UsageError("errand prune needs --age DAYS (0 prunes every finished task).");
      return pruneCommand({
        ...common,
        age,
        failedAge: numberFlag("failed-age", str("failed-age"), { min: 0 }),
        status: values.status as string[] | undefined,
        queueName: str("queue-name"),
        dryRun: values["dry-run"] === true,
      });
    }
  }
}

function parseQueues(raw: string): string[] | "*" {
  const names = raw
    .split(",")
    .map((q) => q.trim())
    .filter((q) => q.length > 0);
  if (names.length === 0) throw new UsageError(`--queue-name needs "*" or queue names, got "${raw}".`);
  if (names.includes("*")) {
    if (names.length > 1)
      throw new UsageError(`--queue-name: "*" already means every queue; do not list others with it.`);
    return "*";
  }
  const tooLong = names.find((q) => q.length > 32);
  if (tooLong) throw new UsageError(`--queue-name: queue names are at most 32 characters, got "${tooLong}".`);
  return names;
}
