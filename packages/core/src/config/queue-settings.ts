import type { QueueSettings } from "../types";
import { checkOptions } from "../options/check-options";
import { CONFIG_OPTIONS, CONFIGURE_SURFACE } from "./config-options";

/**
 * Checks `queues` of `configure()` / `errand.config.ts` against `QUEUE_OPTIONS` and returns
 * a copy: each name a valid queue name, each key known, `concurrency` and `rateLimit.limit`
 * positive integers, `rateLimit.periodSeconds` a positive whole number of seconds.
 *
 * @throws InvalidConfig naming the setting, e.g. `queues.email.rateLimit.periodSeconds`.
 * @example
 * validateQueueSettings({ email: { concurrency: 5, rateLimit: { limit: 100, periodSeconds: 60 } } });
 */
export function validateQueueSettings(queues: unknown): Record<string, QueueSettings> {
  if (queues === undefined || queues === null) return {};
  checkOptions({ queues }, { queues: CONFIG_OPTIONS.queues }, CONFIGURE_SURFACE);
  return copyQueueSettings(queues as Record<string, QueueSettings>);
}

/** A copy of `queues` already checked against `QUEUE_OPTIONS` (`configure()` checks it with the rest). */
export function copyQueueSettings(
  queues: Record<string, QueueSettings> | null | undefined,
): Record<string, QueueSettings> {
  const out: Record<string, QueueSettings> = {};
  for (const [name, { concurrency, rateLimit }] of Object.entries(queues ?? {})) {
    out[name] = {
      ...(concurrency != null ? { concurrency } : {}),
      ...(rateLimit != null ? { rateLimit: { limit: rateLimit.limit, periodSeconds: rateLimit.periodSeconds } } : {}),
    };
  }
  return out;
}
