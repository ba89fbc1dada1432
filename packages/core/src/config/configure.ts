import type { Database } from "@errand/db";
import { InvalidTaskBackend } from "../errors";
import type { Backend } from "../backends/backend";
import { DatabaseBackend } from "../backends/database/database-backend";
import type { DatabaseBackendSettings } from "../backends/database/database-backend-settings";
import { DummyBackend } from "../backends/dummy/dummy-backend";
import type { DummyBackendSettings } from "../backends/dummy/dummy-backend-settings";
import { ImmediateBackend } from "../backends/immediate/immediate-backend";
import type { ImmediateBackendSettings } from "../backends/immediate/immediate-backend-settings";
import type { QueueSettings } from "../types";
import { copyQueueSettings } from "./queue-settings";
import { BACKEND_OPTIONS, CONFIG_OPTIONS, CONFIGURE_SURFACE } from "./config-options";
import { checkOptions } from "../options/check-options";
import { setCurrentQueueSettings } from "./current-queue-settings";
import { createCustomBackend } from "../backends/custom/create-custom-backend";
import type { CustomBackendSettings } from "../backends/custom/custom-backend-settings";

export type { CustomBackendSettings, DatabaseBackendSettings, DummyBackendSettings, ImmediateBackendSettings };

/** One entry of `backends`: a built-in by name, or your own class or factory (`CustomBackendSettings`). */
export type BackendSettings =
  DatabaseBackendSettings | ImmediateBackendSettings | DummyBackendSettings | CustomBackendSettings;

/** Everything `configure()` takes. */
export interface ErrandSettings {
  /** By alias; tasks use "default" unless told otherwise. */
  backends?: Record<string, BackendSettings> | undefined;
  /** Default `maxAttempts` of tasks that set none. Default 25. */
  maxAttempts?: number | undefined;
  /**
   * Flow control by queue name: `concurrency` (tasks RUNNING at once) and `rateLimit`
   * (`{ limit, periodSeconds }` starts), each holding across every worker. Workers enforce
   * their own config's limits: give every worker the same.
   *
   * @example
   * queues: { email: { concurrency: 5, rateLimit: { limit: 100, periodSeconds: 60 } } }
   */
  queues?: Record<string, QueueSettings> | undefined;
}

interface ResolvedSettings {
  backends: Record<string, BackendSettings>;
  maxAttempts: number;
  queues: Record<string, QueueSettings>;
}

const STATE_KEY = Symbol.for("errand.config");
interface State {
  settings: ResolvedSettings;
  backends: Map<string, Backend>;
}
const state: State = ((globalThis as Record<symbol, unknown>)[STATE_KEY] as State | undefined) ?? {
  settings: resolve({}),
  backends: new Map(),
};
(globalThis as Record<symbol, unknown>)[STATE_KEY] = state;

function resolve(settings: ErrandSettings): ResolvedSettings {
  checkOptions(settings, CONFIG_OPTIONS, CONFIGURE_SURFACE);
  const backends = settings.backends ?? { default: { backend: "database" } };
  for (const [alias, entry] of Object.entries(backends)) {
    const kind: unknown = entry.backend;
    if (kind === "database" || kind === "immediate" || kind === "dummy") {
      checkOptions(entry, BACKEND_OPTIONS[kind], { ...CONFIGURE_SURFACE, at: ["backends", alias] });
    } else {
      // A custom backend's other options are its own: only the keys read here are checked.
      const { backend, queues } = entry;
      checkOptions({ backend, queues }, BACKEND_OPTIONS.custom, { ...CONFIGURE_SURFACE, at: ["backends", alias] });
    }
  }
  return { backends, maxAttempts: settings.maxAttempts ?? 25, queues: copyQueueSettings(settings.queues) };
}

/**
 * Sets the backends. Call it once at start-up, before enqueueing; calling it again
 * replaces the settings and closes the backends made from the old ones. It also takes the
 * rest of an `errand.config.ts` (`tasks`, `retention`, `schedules`: checked here, used by
 * the worker). Every setting is checked against `CONFIG_OPTIONS`; an unknown one is refused.
 *
 * @throws InvalidConfig naming the setting (InvalidTaskBackend for a backend's settings).
 *
 * @example
 * configure({ backends: { default: { backend: "database", url: process.env.DATABASE_URL } } });
 */
export function configure(settings: ErrandSettings): void {
  const resolved = resolve(settings);
  const old = [...state.backends.values()];
  state.settings = resolved;
  setCurrentQueueSettings(resolved.queues);
  state.backends = new Map();
  for (const backend of old) void backend.close().catch(() => undefined);
}

/** The current settings (defaults filled in). */
export function getSettings(): Readonly<ResolvedSettings> {
  return state.settings;
}

/**
 * The backend configured under `alias`, created on first use (it connects lazily).
 *
 * @throws InvalidTaskBackend when no backend has that alias.
 */
export function getBackend(alias = "default"): Backend {
  const existing = state.backends.get(alias);
  if (existing) return existing;
  const settings = state.settings.backends[alias];
  if (!settings) {
    const known = Object.keys(state.settings.backends);
    throw new InvalidTaskBackend(
      alias,
      `No backend is configured as "${alias}" (configured: ${known.length ? known.join(", ") : "none"}). Add it to configure({ backends }) or errand.config.ts.`,
    );
  }
  let backend: Backend;
  if (typeof settings.backend === "function") backend = createCustomBackend(alias, settings);
  else
    switch (settings.backend) {
      case "database":
        backend = new DatabaseBackend(alias, settings);
        break;
      case "immediate":
        backend = new ImmediateBackend(alias, settings);
        break;
      case "dummy":
        backend = new DummyBackend(alias, settings);
        break;
    }
  state.backends.set(alias, backend);
  return backend;
}

/** Closes every backend made so far (pools, connections). For shutdown and tests. */
export async function closeBackends(): Promise<void> {
  const all = [...state.backends.values()];
  state.backends = new Map();
  await Promise.all(all.map((b) => b.close()));
}

/** Kysely's `Database` types, for users who pass their own instance. */
export type { Database };
