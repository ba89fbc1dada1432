import type { QueueSettings } from "../types";

// Kept on globalThis like configure()'s state (a bundler may load this module twice), and in
// a module of its own so that backends read it without importing configure() (which
// imports the backends).
const KEY = Symbol.for("errand.queueSettings");
const slot = globalThis as Record<symbol, unknown>;

/** The `queues` of the current configuration (validated); `{}` before `configure()`. */
export function currentQueueSettings(): Readonly<Record<string, QueueSettings>> {
  return (slot[KEY] as Record<string, QueueSettings> | undefined) ?? {};
}

/** Called by `configure()` with its validated `queues`. */
export function setCurrentQueueSettings(queues: Record<string, QueueSettings>): void {
  slot[KEY] = queues;
}
