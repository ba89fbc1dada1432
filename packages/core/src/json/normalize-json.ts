import { InvalidTaskArgumentsError } from "../errors";
import type { JsonValue } from "../types";

export type { JsonValue };

/**
 * Checks that `value` is JSON and returns it normalised (Django's `normalize_json`):
 * arrays and plain objects recurse, `Uint8Array`/`Buffer` become UTF-8 strings, and
 * primitives pass through. Anything else — `Date`, `Map`, `Set`, `BigInt`, class
 * instances, functions, symbols, `undefined` inside an array, `NaN`, `Infinity`, cycles —
 * throws `InvalidTaskArgumentsError` naming the path, so nothing half-valid is stored.
 *
 * `undefined` object properties are dropped, as `JSON.stringify` does.
 *
 * @example
 * normalizeJson([{ when: new Date() }], "args"); // throws: args[0].when is a Date ...
 */
export function normalizeJson(value: unknown, path: string, taskName?: string): JsonValue {
  const seen = new Set<object>();
  const visit = (v: unknown, at: string): JsonValue => {
    switch (typeof v) {
      case "string":
      case "boolean":
        return v;
      case "number":
        if (!Number.isFinite(v)) {
          throw new InvalidTaskArgumentsError(at, `is ${String(v)}, which JSON cannot hold`, taskName);
        }
        return v;
      case "bigint":
        throw new InvalidTaskArgumentsError(at, "is a BigInt; pass it as a string", taskName);
      case "undefined":
        throw new InvalidTaskArgumentsError(at, "is undefined; use null", taskName);
      case "function":
        throw new InvalidTaskArgumentsError(at, "is a function", taskName);
      case "symbol":
        throw new InvalidTaskArgumentsError(at, "is a symbol", taskName);
    }
    if (v === null) return null;
    const obj = v as object;
    if (obj instanceof Uint8Array) {
      try {
        return new TextDecoder("utf-8", { fatal: true }).decode(obj);
      } catch {
        throw new InvalidTaskArgumentsError(at, "is bytes that are not valid UTF-8; encode them as base64", taskName);
      }
    }
    if (seen.has(obj)) throw new InvalidTaskArgumentsError(at, "refers back to itself (a cycle)", taskName);
    if (Array.isArray(obj)) {
      seen.add(obj);
      const out = obj.map((item, i) => visit(item, `${at}[${i}]`));
      seen.delete(obj);
      return out;
    }
    const proto = Object.getPrototypeOf(obj) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      const kind = describeInstance(obj);
      throw new InvalidTaskArgumentsError(at, `is ${kind}, not a plain object`, taskName);
    }
    seen.add(obj);
    const out: Record<string, JsonValue> = {};
    for (const [key, item] of Object.entries(obj)) {
      if (item === undefined) continue;
      out[key] = visit(item, /^[A-Za-z_$][\w$]*$/.test(key) ? `${at}.${key}` : `${at}[${JSON.stringify(key)}]`);
    }
    seen.delete(obj);
    return out;
  };
  return visit(value, path);
}

function describeInstance(obj: object): string {
  if (obj instanceof Date) return "a Date; pass date.toISOString()";
  if (obj instanceof Map) return "a Map; pass Object.fromEntries(map)";
  if (obj instanceof Set) return "a Set; pass [...set]";
  const name = (obj.constructor as { name?: string } | undefined)?.name;
  return name ? `an instance of ${name}` : "an object with a custom prototype";
}
