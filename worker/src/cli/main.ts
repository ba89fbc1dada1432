import { parseArgs } from "node:util";
import { WORKER_OPTIONS } from "../worker-options";
import { embeddedCommand } from "./embedded-command";
import { helpLines, parseArgsOptions, parseFlagValue, type FlagSpec, type RawFlagValue } from "./flags";
import { migrateCommand } from "./migrate-command";
import { PRUNE_FLAGS, pruneCommand } from "./prune-command";
import { STATUS_FLAGS, statusCommand } from "./status-command";
import { SCHEDULES_FLAGS, schedulesCommand } from "./schedules-command";
import { QUEUES_FLAGS, queuesCommand } from "./queues-command";
import { BULK_FLAGS, bulkCommand } from "./bulk-command";
import { UsageError } from "./usage-error";
import { WORKER_FLAGS, workerCommand, workerCommandFlags } from "./worker-command";

/** Flags every command takes. `--backend` is the worker's `backend` option. */
export const COMMON_FLAGS: readonly FlagSpec[] = [
  {
    flag: "config",
    arg: "PATH",
    rule: { kind: "string" },
    help: "errand.config.ts to load (default: ./errand.config.ts)",
  },
  WORKER_OPTIONS.backend,
  { flag: "help", short: "h", rule: { kind: "boolean" }, help: "show help" },
];

type Values = Record<string, RawFlagValue>;
interface Common {
  config: string | undefined;
  backend: string;
}

interface Command {
  /** `--help` lines; the first is the summary. */
  about: string[];
  /** Its own flags, besides `COMMON_FLAGS`. */
  flags: readonly FlagSpec[];
  /** Takes positional arguments (`errand queues pause NAME`). Default none. */
  positionals?: boolean;
  run: (values: Values, common: Common, positionals: string[]) => Promise<number>;
}

/** The commands taking flags, in `--help` order. `embedded` takes one action instead. */
export const COMMANDS: Record<
  "worker" | "migrate" | "status" | "schedules" | "prune" | "queues" | "retry" | "cancel",
  Command
> = {
  worker: {
    about: ["Run enqueued tasks until stopped (SIGTERM/SIGINT stop it gracefully)"],
    flags: WORKER_FLAGS,
    run: (values) => workerCommand(workerCommandFlags(values)),
  },
  migrate: { about: ["Create or update Errand's tables"], flags: [], run: (_, common) => migrateCommand(common) },
  status: {
    about: ["Task counts by queue and status, and the oldest due task"],
    flags: STATUS_FLAGS,
    run: (values, common) => statusCommand({ ...common, json: values.json === true }),
  },
  schedules: {
    about: ["The cron schedules of errand.config.ts with their next runs"],
    flags: SCHEDULES_FLAGS,
    run: (values, common) =>
      schedulesCommand({
        ...common,
        json: values.json === true,
        runs: (parseFlagValue(SCHEDULES_FLAGS[1]!, values.runs) as number | undefined) ?? 3,
      }),
  },
  prune: {
    about: ["Delete finished tasks older than --age days"],
    flags: PRUNE_FLAGS,
    run: (values, common) => {
      const flag = (name: string) =>
        parseFlagValue(
          PRUNE_FLAGS.find((f) => f.flag === name)!,
          values[name],
        );
      const age = flag("age") as number | undefined;
      if (age === undefined) throw new UsageError("errand prune needs --age DAYS (0 prunes every finished task).");
      return pruneCommand({
        ...common,
        age,
        failedAge: flag("failed-age") as number | undefined,
        status: values.status as string[] | undefined,
        queueName: values["queue-name"] as string | undefined,
        dryRun: values["dry-run"] === true,
      });
    },
  },
  queues: {
    about: ["Queues with their state, counts and limits; `queues pause NAME` / `queues resume NAME`"],
    flags: QUEUES_FLAGS,
    positionals: true,
    run: (values, common, args) => queuesCommand({ ...common, json: values.json === true, args }),
  },
  retry: {
    about: ["Retry every FAILED task matching the filters (--queue-name, --task-name, ...)"],
    flags: BULK_FLAGS,
    run: (values, common) => bulkCommand({ ...common, action: "retry", values }),
  },
  cancel: {
    about: ["Cancel every PENDING task matching the filters (--queue-name, --task-name, ...)"],
    flags: BULK_FLAGS,
    run: (values, common) => bulkCommand({ ...common, action: "cancel", values }),
  },
};

const EMBEDDED_ABOUT = [
  "start | url | stop: the project's embedded Postgres (.errand/, or ERRAND_HOME),",
  "used when no DATABASE_URL is set; it keeps running until stopped",
];

/** `errand --help`, written from the commands' flag tables. */
export function helpText(): string {
  const about = (name: string, lines: string[]) =>
    lines.map((line, i) => `  ${(i === 0 ? name : "").padEnd(9)}  ${line}\n`).join("");
  let text = "Usage: errand <command> [options]\n\nCommands:\n";
  for (const [name, command] of Object.entries(COMMANDS)) text += about(name, command.about);
  text += about("embedded", EMBEDDED_ABOUT);
  text += `\nCommon options:\n${helpLines(COMMON_FLAGS)}`;
  for (const [name, command] of Object.entries(COMMANDS)) {
    if (command.flags.length > 0) text += `\nerrand ${name} options:\n${helpLines(command.flags)}`;
  }
  return text;
}

/** Runs the `errand` command line and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "help" || command === "--help" || command === "-h") {
    process.stdout.write(helpText());
    return command === undefined ? 2 : 0;
  }
  if (command === "embedded") {
    if (rest.length > 1)
      throw new UsageError(`errand embedded takes one action (start, url or stop), got: ${rest.join(" ")}.`);
    return embeddedCommand(rest[0]);
  }
  if (!Object.hasOwn(COMMANDS, command)) {
    throw new UsageError(
      `Unknown command "${command}". Commands: ${[...Object.keys(COMMANDS), "embedded"].join(", ")}.`,
    );
  }
  const name = command as keyof typeof COMMANDS;
  const { flags, run, positionals: takesPositionals = false } = COMMANDS[name];
  let values: Values;
  let positionals: string[];
  try {
    const options = parseArgsOptions([...COMMON_FLAGS, ...flags]);
    const parsed = parseArgs({ args: rest, options, strict: true, allowPositionals: takesPositionals });
    values = parsed.values as Values;
    positionals = parsed.positionals;
  } catch (error) {
    throw new UsageError(`errand ${name}: ${(error as Error).message.replace(/\. To specify a positional.*$/s, ".")}`);
  }
  if (values.help) {
    process.stdout.write(helpText());
    return 0;
  }
  return run(
    values,
    {
      config: values.config as string | undefined,
      backend: (values.backend as string | undefined) ?? WORKER_OPTIONS.backend.default,
    },
    positionals,
  );
}
