// The option table: `new Worker()`'s checks, the CLI's flags and `errand --help` all come
// from it. Pure functions: no database needed.
import { parseArgs } from "node:util";
import { describe, expect, it, vi } from "vitest";
import { InvalidWorkerOption } from "../src/errors";
import { flagsOf, parseArgsOptions, parseFlagValue, type FlagSpec } from "../src/cli/flags";
import { COMMANDS, COMMON_FLAGS, helpText, main } from "../src/cli/main";
import { workerCommandFlags } from "../src/cli/worker-command";
import { describeOption, type OptionRule } from "@errand/core/internal";
import { resolveWorkerOptions, WORKER_OPTIONS, type OptionSpec } from "../src/worker-options";

type NumberRule = Extract<OptionRule, { kind: "integer" | "number" }>;

/** The number options: [name, rule, spec]. */
const numberOptions = (Object.entries(WORKER_OPTIONS) as [keyof typeof WORKER_OPTIONS, OptionSpec][]).flatMap(
  ([name, spec]) =>
    spec.rule.kind === "number" || spec.rule.kind === "integer" ? [[name, spec.rule, spec] as const] : [],
);

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** A value the rule refuses, e.g. 0 for "at least 1". */
function badValue(rule: NumberRule): number {
  if (rule.kind === "number" && rule.above !== undefined) return rule.above;
  if (rule.min !== undefined) return rule.min - 1;
  return Number.NaN;
}

describe("resolveWorkerOptions", () => {
  it("applies the table's defaults", () => {
    const resolved = resolveWorkerOptions({});
    expect(resolved).toMatchObject({
      queues: "*",
      excludeQueues: [],
      concurrency: 10,
      interval: 1,
      backend: "default",
      leaseSeconds: 30,
      shutdownGraceSeconds: 30,
      batch: false,
      maxTasks: null,
      duration: null,
      startupDelay: 0,
      rescueIntervalSeconds: 15,
      listen: true,
    });
    expect(resolved.workerId).toMatch(/^[\w.-]+-\d+-[0-9a-f]{8}$/);
    for (const [name, spec] of Object.entries(WORKER_OPTIONS) as [keyof typeof resolved, OptionSpec][]) {
      if (spec.default !== undefined) expect(resolved[name], name).toBe(spec.default);
    }
  });

  it("derives the rescue interval from the lease: half of it, at most 15 s", () => {
    expect(resolveWorkerOptions({ leaseSeconds: 4 }).rescueIntervalSeconds).toBe(2);
    expect(resolveWorkerOptions({ leaseSeconds: 4, rescueIntervalSeconds: 1 }).rescueIntervalSeconds).toBe(1);
  });

  it.each(numberOptions)("refuses a bad %s, naming it", (name, rule) => {
    for (const value of [badValue(rule), Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => resolveWorkerOptions({ [name]: value }), `${name}=${value}`).toThrow(
        new RegExp(`^new Worker\\(\\): ${name} must be an? (positive|non-negative|integer|number)`),
      );
    }
    expect(() => resolveWorkerOptions({ [name]: "3" as unknown as number })).toThrow(InvalidWorkerOption);
  });

  it("refuses fractional counts, in the wording of every option surface", () => {
    expect(() => resolveWorkerOptions({ maxTasks: 1.5 })).toThrow(
      "new Worker(): maxTasks must be a positive integer, got 1.5.",
    );
    expect(() => resolveWorkerOptions({ interval: -1 })).toThrow(
      "new Worker(): interval must be a non-negative number of seconds, got -1.",
    );
    expect(() => resolveWorkerOptions({ leaseSeconds: 0 })).toThrow(
      "new Worker(): leaseSeconds must be a positive number of seconds, got 0.",
    );
  });

  it("checks queues, excluded queues and the worker id", () => {
    expect(resolveWorkerOptions({ queues: ["a", "b", "a"] }).queues).toEqual(["a", "b"]);
    expect(resolveWorkerOptions({ queues: ["*"] }).queues).toBe("*");
    expect(resolveWorkerOptions({ excludeQueues: [] }).excludeQueues).toEqual([]);
    expect(() => resolveWorkerOptions({ queues: [] })).toThrow(
      'new Worker(): queues must be "*" or a non-empty list of queue names, got [].',
    );
    expect(() => resolveWorkerOptions({ queues: ["*", "a"] })).toThrow(/"\*" already means every queue/);
    expect(() => resolveWorkerOptions({ queues: ["x".repeat(33)] })).toThrow(
      /^new Worker\(\): queues\[0\] must be a string of 1 to 32 characters, got "x+"\.$/,
    );
    expect(() => resolveWorkerOptions({ queues: ["a"], excludeQueues: ["b"] })).toThrow(
      'new Worker(): excludeQueues only goes with queues "*" (every queue but these).',
    );
    expect(() => resolveWorkerOptions({ excludeQueues: ["*"] })).toThrow(/would exclude every queue/);
    expect(() => resolveWorkerOptions({ workerId: "" })).toThrow(
      'new Worker(): workerId must be a string of 1 to 64 characters, got "".',
    );
  });
});

describe("errand worker flags", () => {
  const parse = (args: string[]) =>
    workerCommandFlags(
      parseArgs({
        args,
        options: parseArgsOptions([...COMMON_FLAGS, ...COMMANDS.worker.flags]),
        strict: true,
      }).values as Record<string, string | boolean | undefined>,
    );

  it("reads every flag of the table into the option of the same row", () => {
    const flags = parse([
      "--queue-name=*",
      "--exclude-queues=bulk, slow",
      "--concurrency=3",
      "--prefetch=50",
      "--interval=0.5",
      "--batch",
      "--duration=60",
      "--max-tasks=7",
      "--worker-id=w-1",
      "--backend=other",
      "--startup-delay=2",
      "--lease=9",
      "--shutdown-grace=4",
      "--rescue-interval=7",
      "--max-stall=90",
      "--listen-url=postgres://app@db:5432/app",
      "--metrics-port=9464",
      "--log-level=warn",
      "--migrate",
    ]);
    expect(flags.options).toEqual({
      queues: ["*"],
      excludeQueues: ["bulk", "slow"],
      concurrency: 3,
      prefetch: 50,
      interval: 0.5,
      batch: true,
      duration: 60,
      maxTasks: 7,
      workerId: "w-1",
      backend: "other",
      startupDelay: 2,
      leaseSeconds: 9,
      shutdownGraceSeconds: 4,
      rescueIntervalSeconds: 7,
      maxStallSeconds: 90,
      listenUrl: "postgres://app@db:5432/app",
      metricsPort: 9464,
    });
    expect(flags).toMatchObject({ logLevel: "warn", migrate: true });
    expect(() => parse(["--metrics-port=70000"])).toThrow(
      /--metrics-port must be an integer from 0 to 65535 \(a port number\), got "70000"/,
    );
    expect(() => parse(["--listen-url=db:5432"])).toThrow(
      /--listen-url must be a postgres:\/\/ connection string \(direct to Postgres, not through the pooler\), got "db:5432"/,
    );
    // Every flag of the table was given above.
    expect(flagsOf(WORKER_OPTIONS).every(([name]) => name in flags.options)).toBe(true);
    expect(parse(["--startup-delay=5", "--no-startup-delay"]).options.startupDelay).toBe(0);
    expect(parse([])).toMatchObject({ options: {}, logLevel: "info", migrate: false });
  });

  it.each(numberOptions.filter(([, , spec]) => spec.flag !== null))(
    "%s's flag is checked by the same rule as the option",
    (name, rule, spec) => {
      const flag = spec as FlagSpec;
      const bad = String(badValue(rule));
      expect(() => parseFlagValue(flag, bad)).toThrow(new RegExp(`^--${flag.flag} must be `));
      expect(() => parseFlagValue(flag, "two")).toThrow(new RegExp(`^--${flag.flag} must be an? .*, got "two"\\.$`));
      expect(() => parseFlagValue(flag, " ")).toThrow(new RegExp(`^--${flag.flag} must be an? .*, got " "\\.$`));
      // The flag's message is the option's, with the flag for the key.
      const option = (() => {
        try {
          resolveWorkerOptions({ [name]: Number(bad) });
        } catch (error) {
          return (error as Error).message;
        }
      })();
      expect(option).toBe(`new Worker(): ${name} must be ${describeOption(rule)}, got ${bad}.`);
      expect(() => parseFlagValue(flag, bad)).toThrow(`--${flag.flag} must be ${describeOption(rule)}, got "${bad}".`);
    },
  );

  it("names the flag, not the option, when a cross-option check fails", () => {
    expect(() => parse(["--queue-name=a", "--exclude-queues=b"])).toThrow(
      'errand worker: --exclude-queues only goes with --queue-name "*" (every queue but these).',
    );
  });
});

describe("errand --help", () => {
  it("lists every flag of the option table", () => {
    const help = helpText();
    for (const [name, spec] of flagsOf(WORKER_OPTIONS)) {
      expect(help, name).toMatch(
        new RegExp(`^ {2}--${spec.flag}${spec.arg ? ` ${spec.arg}` : ""} +${escape(spec.help)}`, "m"),
      );
    }
  });

  it("lists every flag that any command accepts", () => {
    const help = helpText();
    for (const [command, { flags }] of Object.entries(COMMANDS)) {
      for (const flag of Object.keys(parseArgsOptions([...COMMON_FLAGS, ...flags]))) {
        expect(help, `errand ${command} --${flag}`).toMatch(new RegExp(`^ {2}(-\\w, )?--${flag}\\b`, "m"));
      }
    }
  });

  it("is what `errand --help` and `errand worker -h` print", async () => {
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    try {
      expect(await main(["--help"])).toBe(0);
      expect(await main(["worker", "-h"])).toBe(0);
    } finally {
      spy.mockRestore();
    }
    expect(out).toEqual([helpText(), helpText()]);
  });
});
