import { MAX_QUEUE_NAME_LENGTH } from "@errand/db";
import { ERROR_CODES, ErrandError } from "../errors";
import type { QueueSettings } from "../types";

/** A check of one setting: the message's end when the value is wrong, else `null`. */
type Check = (value: unknown) => string | null;

const positiveInteger: Check = (v) =>
  typeof v === "number" && Number.isInteger(v) && v >= 1 ? null : `must be a positive integer, got ${show(v)}`;

/** Every key of a queue's settings, and of its `rateLimit`, with its check. Anything else is refused. */
const QUEUE_KEYS: Record<keyof QueueSettings, Check> = {
  concurrency: positiveInteger,
  rateLimit: (v) =>
    typeof v === "object" && v !== null && !Array.isArray(v)
      ? null
      : `must be { limit, periodSeconds }, got ${show(v)}`,
};
const RATE_LIMIT_KEYS: Record<"limit" | "periodSeconds", Check> = {
  limit: positiveInteger,
  periodSeconds: positiveInteger,
};

/**
 * Checks `queues` of `configure()` / `errand.config.ts` and returns a copy: each name a
 * valid queue name, each key known, `concurrency` and `rateLimit.limit` positive integers,
 * `rateLimit.periodSeconds` a positive integer of seconds (a zero period is refused).
 *
 * @throws ErrandError `INVALID_CONFIG` naming the setting, e.g. `queues.email.rateLimit.periodSeconds`.
 * @example
 * validateQueueSettings({ email: { concurrency: 5, rateLimit: { limit: 100, periodSeconds: 60 } } });
 */
export function validateQueueSettings(queues: unknown): Record<string, QueueSettings> {
  if (queues === undefined || queues === null) return {};
  if (typeof queues !== "object" || Array.isArray(queues)) {
    throw invalid(
      "queues",
      `must be an object of queue names, e.g. { email: { concurrency: 5 } }, got ${show(queues)}`,
    );
  }
  const out: Record<string, QueueSettings> = {};
  for (const [name, settings] of Object.entries(queues)) {
    const at = `queues.${name}`;
    if (name.length === 0 || name.length > MAX_QUEUE_NAME_LENGTH) {
      throw invalid(at, `is not a queue name: names are 1 to ${MAX_QUEUE_NAME_LENGTH} characters`);
    }
    checkObject(at, settings, { keys: QUEUE_KEYS });
    const { concurrency, rateLimit } = settings as QueueSettings;
    if (rateLimit !== undefined)
      checkObject(`${at}.rateLimit`, rateLimit, { keys: RATE_LIMIT_KEYS, allRequired: true });
    out[name] = {
      ...(concurrency !== undefined ? { concurrency } : {}),
      ...(rateLimit !== undefined
        ? { rateLimit: { limit: rateLimit.limit, periodSeconds: rateLimit.periodSeconds } }
        : {}),
    };
  }
  return out;
}

function checkObject(
  at: string,
  value: unknown,
  { keys, allRequired = false }: { keys: Record<string, Check>; allRequired?: boolean },
): void {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalid(at, `must be an object (${Object.keys(keys).join(", ")}), got ${show(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (!(key in keys)) throw invalid(`${at}.${key}`, `is not a setting; ${at} knows ${Object.keys(keys).join(", ")}`);
  }
  for (const [key, check] of Object.entries(keys)) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined) {
      if (allRequired) throw invalid(`${at}.${key}`, "is required");
      continue;
    }
    const problem = check(v);
    if (problem) throw invalid(`${at}.${key}`, problem);
  }
}

function invalid(setting: string, problem: string): ErrandError {
  return new ErrandError(ERROR_CODES.INVALID_CONFIG, `Setting ${setting} ${problem}.`);
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}
