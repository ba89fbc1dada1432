import type { ErrandError } from "../errors";
import { describeOption, isPlainObject, optionProblem, showValue } from "./describe-option";
import type { OptionRule, OptionTable } from "./option-rule";

/**
 * Where an option sits: its keys from the top, a list's entries by index
 * (`["backends", "eu.primary", "url"]`, `["schedules", 0, "cron"]`).
 */
export type OptionPath = readonly (string | number)[];

/**
 * Where options are checked, and the error that surface throws: `task()` and `using()` an
 * `InvalidTask`, `configure()` an `InvalidConfig`, `new Worker()` an `InvalidWorkerOption`.
 */
export interface OptionSurface {
  /** How messages name the surface: `task("emails.send")`, `configure()`, `new Worker()`. */
  where: string;
  /** Where the table sits in the surface's options (`["backends", "default"]`). Default the top. */
  at?: OptionPath;
  /** How messages name an option, when not by its path (the CLI names its flag: `--lease`). */
  name?: (path: string) => string;
  /**
   * The error to throw; `path` is the option's path as messages show it
   * (`queues.email.concurrency`, see `formatOptionPath`), `keys` the same path unformatted.
   */
  error: (message: string, path: string, keys: OptionPath) => ErrandError;
}

/**
 * Checks `options` against `table`, nested tables included: a key the table does not know,
 * a missing required key or a value of the wrong kind throws the surface's error. Absent
 * (`undefined` or `null`) optional keys are skipped. The messages are the same everywhere:
 *
 * - `<where>: unknown option "<path>"; <it | parent> takes <keys>.`
 * - `<where>: <path> must be <what the rule accepts>, got <value>.`
 *
 * @throws the surface's error (see `OptionSurface`).
 * @example
 * checkOptions({ concurency: 5 }, WORKER_TABLE, { where: "new Worker()", error: (m, p) => new InvalidWorkerOption(p, m) });
 * // new Worker(): unknown option "concurency"; it takes queues, excludeQueues, concurrency, …
 */
export function checkOptions(options: unknown, table: OptionTable, surface: OptionSurface): void {
  const at = surface.at ?? [];
  if (!isPlainObject(options))
    throw invalidOption(surface, { path: at, rule: { kind: "object", table }, value: options });
  checkTable(options, table, { surface, path: at });
}

/**
 * The error for one option whose value is wrong, in the shared wording; for the checks a
 * surface makes beyond its table (a cron expression only the worker can parse). `path` is
 * the option's keys, or one top-level key.
 *
 * @example
 * throw invalidOption(surface, { path: ["schedules", 0, "cron"], rule: SCHEDULE_OPTIONS.cron, value: "0 25 * * *" });
 */
export function invalidOption(
  surface: OptionSurface,
  { path, rule, value }: { path: OptionPath | string; rule: OptionRule | string; value: unknown },
): ErrandError {
  const keys = typeof path === "string" ? [path] : path;
  const expected = typeof rule === "string" ? rule : describeOption(rule);
  const shown = formatOptionPath(keys);
  const subject = shown === "" ? "the options" : (surface.name?.(shown) ?? shown);
  return surface.error(`${surface.where}: ${subject} must be ${expected}, got ${showValue(value)}.`, shown, keys);
}

/**
 * The error for keys the table does not know (a typo, an option of another version, an
 * object built at run time the compiler never saw): ignored, they would change nothing and
 * say nothing.
 */
export function unknownOptions(
  surface: OptionSurface,
  { at, keys, known }: { at: OptionPath; keys: readonly string[]; known: OptionTable },
): ErrandError {
  const paths = keys.map((key) => {
    const shown = formatOptionPath([...at, key]);
    return JSON.stringify(surface.name?.(shown) ?? shown);
  });
  const which = keys.length === 1 ? `unknown option ${paths[0]}` : `unknown options ${paths.join(", ")}`;
  const parent = at.length === 0 ? "it" : formatOptionPath(at);
  const first = [...at, keys[0]!];
  return surface.error(
    `${surface.where}: ${which}; ${parent} takes ${Object.keys(known).join(", ")}.`,
    formatOptionPath(first),
    first,
  );
}

/**
 * A path as messages show it: keys joined by dots, list entries by index, and a key that
 * would read as more than one (a dot, a bracket, a quote in it, or empty) in brackets, so
 * that the alias `eu.primary` is not read as `eu` then `primary`.
 *
 * @example
 * formatOptionPath(["backends", "eu.primary", "url"]); // "backends['eu.primary'].url"
 * formatOptionPath(["schedules", 0, "cron"]); // "schedules[0].cron"
 */
export function formatOptionPath(keys: OptionPath): string {
  let shown = "";
  for (const key of keys) {
    if (typeof key === "number") shown += `[${key}]`;
    else if (/^[^.[\]'"]+$/.test(key)) shown += shown === "" ? key : `.${key}`;
    else shown += `['${key.replace(/[\\']/g, "\\$&")}']`;
  }
  return shown;
}

/** Where a nested check is: the surface, and the path of the value being checked. */
interface Place {
  surface: OptionSurface;
  path: OptionPath;
}

function checkTable(options: Record<string, unknown>, table: OptionTable, { surface, path }: Place): void {
  const unknown = Object.keys(options).filter((key) => !Object.hasOwn(table, key));
  if (unknown.length > 0) throw unknownOptions(surface, { at: path, keys: unknown, known: table });
  for (const [key, rule] of Object.entries(table)) checkValue(options[key], rule, { surface, path: [...path, key] });
}

/** The second entry of `list` with a `key` an earlier one has is refused, naming that one. */
function checkUnique(list: readonly Record<string, unknown>[], key: string, { surface, path }: Place): void {
  const first = new Map<unknown, number>();
  list.forEach((entry, i) => {
    const seen = first.get(entry[key]);
    if (seen !== undefined) {
      const rule = `unique (${formatOptionPath([...path, seen, key])} is the same)`;
      throw invalidOption(surface, { path: [...path, i, key], rule, value: entry[key] });
    }
    first.set(entry[key], i);
  });
}

function checkValue(value: unknown, rule: OptionRule, { surface, path }: Place): void {
  if (value === undefined || value === null) {
    if (rule.required) throw invalidOption(surface, { path, rule, value });
    return;
  }
  if (optionProblem(rule, value) !== null) throw invalidOption(surface, { path, rule, value });
  if (rule.kind === "object") {
    checkTable(value as Record<string, unknown>, rule.table, { surface, path });
  } else if (rule.kind === "list" && rule.of && Array.isArray(value)) {
    const item = { required: true, ...rule.of };
    value.forEach((entry: unknown, i) => checkValue(entry, item, { surface, path: [...path, i] }));
    if (rule.unique !== undefined) checkUnique(value as Record<string, unknown>[], rule.unique, { surface, path });
  } else if (rule.kind === "record") {
    for (const [name, entry] of Object.entries(value as Record<string, unknown>)) {
      const at = [...path, name];
      if (optionProblem(rule.key, name) !== null) {
        throw surface.error(
          `${surface.where}: ${formatOptionPath(path)} has ${JSON.stringify(name)}, which is not a name: names must be ${describeOption(rule.key)}.`,
          formatOptionPath(at),
          at,
        );
      }
      checkValue(entry, { required: true, ...rule.value }, { surface, path: at });
    }
  }
}
