import type { OptionRule } from "./option-rule";

/**
 * What a rule accepts, in the words every message uses after "must be".
 *
 * @example
 * describeOption({ kind: "integer", min: 1 }); // "a positive integer"
 * describeOption({ kind: "number", above: 0, unit: "seconds" }); // "a positive number of seconds"
 */
export function describeOption(rule: OptionRule): string {
  const base = describeKind(rule);
  if (!rule.hint) return base;
  return rule.hint.startsWith("e.g.") ? `${base}, ${rule.hint}` : `${base} (${rule.hint})`;
}

function describeKind(rule: OptionRule): string {
  switch (rule.kind) {
    case "integer":
      return describeNumber(rule.unit ? "whole number" : "integer", rule);
    case "number":
      return describeNumber("number", rule);
    case "string": {
      if (rule.expected) return rule.expected;
      const min = rule.minLength ?? 0;
      if (rule.maxLength !== undefined) return `a string of ${Math.max(min, 1)} to ${rule.maxLength} characters`;
      return min > 0 ? "a non-empty string" : "a string";
    }
    case "boolean":
      return "true or false";
    case "enum":
      return rule.values.length === 1
        ? JSON.stringify(rule.values[0])
        : `one of ${rule.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "function":
      return `a function ${rule.signature}`;
    case "date":
      return "a valid Date";
    case "list":
      return rule.expected ?? (rule.orAll ? '"*" or a list' : rule.nonEmpty ? "a non-empty list" : "a list");
    case "object":
      return `an object { ${Object.keys(rule.table).join(", ")} }`;
    case "record":
      return rule.expected ?? "an object of names";
    case "check":
      return rule.expected;
    case "any":
      return "any value";
  }
}

function describeNumber(
  noun: string,
  { min, above, max, unit }: { min?: number; above?: number; max?: number; unit?: string },
): string {
  const of = unit ? ` of ${unit}` : "";
  if (min !== undefined && max !== undefined) return `${article(noun)} ${noun}${of} from ${min} to ${max}`;
  if (above === 0 || (min === 1 && noun !== "number")) return `a positive ${noun}${of}`;
  if (min === 0) return `a non-negative ${noun}${of}`;
  if (min !== undefined) return `${article(noun)} ${noun}${of} >= ${min}`;
  if (above !== undefined) return `${article(noun)} ${noun}${of} > ${above}`;
  return `${article(noun)} ${noun}${of}`;
}

function article(noun: string): string {
  return /^[aeiou]/.test(noun) ? "an" : "a";
}

/**
 * Whether `value` breaks the rule's own kind: "must be …" when it does, else `null`. Nested
 * entries (a list's items, an object's keys) are `checkOptions`'s business. The CLI uses it
 * for flag values too, so a flag and the option it sets say the same thing.
 *
 * @example
 * optionProblem({ kind: "integer", min: 1 }, 0); // "must be a positive integer"
 */
export function optionProblem(rule: OptionRule, value: unknown): string | null {
  return accepts(rule, value) ? null : `must be ${describeOption(rule)}`;
}

function accepts(rule: OptionRule, value: unknown): boolean {
  switch (rule.kind) {
    case "integer":
      return (
        typeof value === "number" &&
        Number.isInteger(value) &&
        (rule.min === undefined || value >= rule.min) &&
        (rule.max === undefined || value <= rule.max)
      );
    case "number":
      return (
        typeof value === "number" &&
        Number.isFinite(value) &&
        (rule.min === undefined || value >= rule.min) &&
        (rule.above === undefined || value > rule.above)
      );
    case "string":
      return (
        typeof value === "string" &&
        value.length >= (rule.minLength ?? 0) &&
        (rule.maxLength === undefined || value.length <= rule.maxLength) &&
        (rule.pattern === undefined || rule.pattern.test(value))
      );
    case "boolean":
      return typeof value === "boolean";
    case "enum":
      return rule.values.includes(value as string);
    case "function":
      return typeof value === "function";
    case "date":
      return value instanceof Date && !Number.isNaN(value.getTime());
    case "list":
      return (rule.orAll === true && value === "*") || (Array.isArray(value) && (!rule.nonEmpty || value.length > 0));
    case "object":
    case "record":
      return isPlainObject(value);
    case "check":
      return rule.test(value);
    case "any":
      return true;
  }
}

/** An object literal's kind of value: not null, an array, a Date or a function. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** A value as messages quote it: JSON where it has one, else its text. */
export function showValue(value: unknown): string {
  if (typeof value === "function") return "a function";
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
