import { configure, getBackend, type DatabaseBackendLike, type ErrandConfig } from "@errand/core";
import { loadConfig, type LoadedConfig } from "../load-config";
import { UsageError } from "./usage-error";

/** Loads the config (tasks included) and configures Errand, optionally without auto-migrating. */
export async function setUp(options: {
  config?: string | undefined;
  requireConfig?: boolean;
  autoMigrate?: boolean;
}): Promise<LoadedConfig> {
  const loaded = await loadConfig({ configPath: options.config });
  if (!loaded.file && options.requireConfig) {
    throw new UsageError(
      `No errand.config.ts in ${process.cwd()}. Create one that lists your task modules (export default defineConfig({ tasks: ["./src/tasks.ts"] })) or pass --config PATH.`,
    );
  }
  const config: ErrandConfig = { ...loaded.config };
  if (options.autoMigrate === false) {
    const backends = { ...(config.backends ?? { default: { backend: "database" as const } }) };
    for (const [alias, settings] of Object.entries(backends)) {
      if (settings.backend === "database") backends[alias] = { ...settings, migrate: false };
    }
    config.backends = backends;
  }
  const { tasks: _tasks, ...settings } = config;
  configure(settings);
  return loaded;
}

/** The database backend under `alias`, or a usage error saying why not. */
export function databaseBackend(alias: string): DatabaseBackendLike {
  let backend;
  try {
    backend = getBackend(alias);
  } catch (error) {
    throw new UsageError(`--backend ${alias}: ${(error as Error).message}`);
  }
  if (backend.kind !== "database") {
    throw new UsageError(`--backend ${alias} is a "${backend.kind}" backend; this command needs a "database" backend.`);
  }
  return backend as DatabaseBackendLike;
}
