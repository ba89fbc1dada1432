import type { ParseArgsConfig } from "node:util";
import { describeOption, optionProblem } from "@errand/core/internal";
import type { OptionSpec } from "../worker-options";
import { UsageError } from "./usage-error";

/** One command-line flag: a row of an option table that has a flag. */
export interface FlagSpec extends OptionSpec {
  flag: string;
  short?: string;
  /** May be given more than once (values are collected). */
  multiple?: boolean;
}

/** A parsed flag's value, before `parseFlagValue` checks it. */
export type RawFlagValue = string | boolean | string[] | undefined;

/** The rows of an option table that are CLI flags, keyed by option name. */
export function flagsOf<T extends Record<string, OptionSpec>>(table: T): [name: keyof T & string, spec: FlagSpec][] {
  return Object.entries(table).flatMap(([name, spec]) =>
    spec.flag === null ? [] : [[name, spec as FlagSpec] as [keyof T & string, FlagSpec]],
  );
}

/** `node:util` `parseArgs` options for these flags: switches are booleans, the rest strings. */
export function parseArgsOptions(flags: readonly FlagSpec[]): NonNullable<ParseArgsConfig["options"]> {
  const options: NonNullable<ParseArgsConfig["options"]> = {};
  for (const spec of flags) {
    options[spec.flag] = {
      type: spec.rule.kind === "boolean" ? "boolean" : "string",
      ...(spec.short ? { short: spec.short } : {}),
      ...(spec.multiple ? { multiple: true } : {}),
    };
  }
  return options;
}

/** `--help` lines for these flags: `  --concurrency N       tasks run at once (default 10)`. */
export function helpLines(flags: readonly FlagSpec[]): string {
  return flags
    .map((spec) => {
      const usage = `${spec.short ? `-${spec.short}, ` : ""}--${spec.flag}${spec.arg ? ` ${spec.arg}` : ""}`;
      const silent = spec.default === undefined || spec.default === null || spec.default === false;
      const dflt = silent ? "" : ` (default ${typeof spec.default === "string" ? `"${spec.default}"` : spec.default})`;
      return `  ${usage.padEnd(20)}  ${spec.help}${dflt}\n`;
    })
    .join("");
}

/**
 * Turns a flag's text into its value by the flag's rule (the same rule, and so the same
 * wording, as the option it sets): numbers within their bounds, a comma list of queue
 * names, one of the allowed choices. `undefined` when not given.
 *
 * @throws UsageError saying what the flag must be.
 * @example
 * parseFlagValue(WORKER_OPTIONS.concurrency as FlagSpec, "5"); // 5
 */
export function parseFlagValue(spec: FlagSpec, raw: RawFlagValue): number | string | boolean | string[] | undefined {
  if (raw === undefined || typeof raw === "boolean") return raw;
  if (Array.isArray(raw)) return raw;
  const rule = spec.rule;
  switch (rule.kind) {
    case "integer":
    case "number": {
      const value = raw.trim() === "" ? Number.NaN : Number(raw);
      const problem = optionProblem(rule, value);
      if (problem) throw new UsageError(`--${spec.flag} ${problem}, got "${raw}".`);
      return value;
    }
    case "list": {
      const names = raw
        .split(",")
        .map((q) => q.trim())
        .filter((q) => q.length > 0);
      if (names.length === 0) throw new UsageError(`--${spec.flag} must be ${describeOption(rule)}, got "${raw}".`);
      return names;
    }
    case "enum": {
      const problem = optionProblem(rule, raw);
      if (problem) throw new UsageError(`--${spec.flag} ${problem}, got "${raw}".`);
      return raw;
    }
    default:
      return raw;
  }
}
