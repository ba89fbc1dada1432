import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { ErrandConfig } from "@errand/core";
import { InvalidWorkerOption } from "./errors";

/** File names looked for in the working directory, in order. */
export const CONFIG_FILE_NAMES = ["errand.config.ts", "errand.config.mts", "errand.config.js", "errand.config.mjs"];

export interface LoadedConfig {
  /** The config file's absolute path, or `null` when none was found (defaults apply). */
  file: string | null;
  config: ErrandConfig;
  /** The task modules imported, as absolute paths. */
  taskModules: string[];
}

/**
 * Finds and imports `errand.config.ts` (or the file given), then imports each module of
 * its `tasks`, relative to the config file, so that their tasks register. Does not call
 * `configure()`: the caller may adjust the settings first.
 *
 * @throws InvalidWorkerOption when a given file or a task module is missing or fails to load.
 * @example
 * const { config } = await loadConfig({ configPath: "./errand.config.ts" });
 * configure(config);
 */
export async function loadConfig(
  options: { configPath?: string | undefined; cwd?: string | undefined } = {},
): Promise<LoadedConfig> {
  const cwd = options.cwd ?? process.cwd();
  let file: string | null;
  if (options.configPath) {
    file = path.resolve(cwd, options.configPath);
    if (!existsSync(file)) {
      throw new InvalidWorkerOption("config", `Config file ${file} does not exist. Check the --config path.`);
    }
  } else {
    file = CONFIG_FILE_NAMES.map((name) => path.join(cwd, name)).find((f) => existsSync(f)) ?? null;
  }
  if (!file) return { file: null, config: {}, taskModules: [] };

  let mod: Record<string, unknown>;
  try {
    mod = await importModule(pathToFileURL(file).href);
  } catch (error) {
    throw new InvalidWorkerOption("config", `Could not load ${file}: ${(error as Error).message}`);
  }
  let config = (mod.default ?? mod.config) as (ErrandConfig & { default?: unknown }) | undefined;
  // A CommonJS-compiled config's `export default` arrives one level down.
  if (config && typeof config === "object" && "default" in config && !("backends" in config) && !("tasks" in config)) {
    config = config.default as ErrandConfig | undefined;
  }
  if (!config || typeof config !== "object") {
    throw new InvalidWorkerOption(
      "config",
      `${file} has no default export. Export the settings: export default defineConfig({ backends: {...}, tasks: ["./src/tasks.ts"] }).`,
    );
  }
  if (config.tasks !== undefined && (!Array.isArray(config.tasks) || config.tasks.some((t) => typeof t !== "string"))) {
    throw new InvalidWorkerOption(
      "config",
      `${file}: "tasks" must be a list of module paths, e.g. ["./src/tasks.ts"].`,
    );
  }
  const dir = path.dirname(file);
  const taskModules: string[] = [];
  for (const spec of config.tasks ?? []) {
    // Relative paths are relative to the config file; bare names are packages.
    const target = spec.startsWith(".") || path.isAbsolute(spec) ? pathToFileURL(path.resolve(dir, spec)).href : spec;
    try {
      await importModule(target);
    } catch (error) {
      throw new InvalidWorkerOption(
        "config",
        `Could not import task module "${spec}" listed in ${file}: ${(error as Error).message}`,
      );
    }
    taskModules.push(target);
  }
  lastLoaded = { file, config, taskModules };
  return lastLoaded;
}

let lastLoaded: LoadedConfig | null = null;

/**
 * The config this process loaded last with `loadConfig()` (with a file), or `null`: what the
 * thread of an `isolate: "thread"` task loads again to find its task.
 */
export function loadedConfig(): LoadedConfig | null {
  return lastLoaded;
}

const TYPESCRIPT_FILE = /\.(?:c|m)?tsx?$/;
let typeScriptLoader: Promise<void> | null = null;

/**
 * Registers tsx's ESM loader once per process, the first time a TypeScript config or task
 * module is imported: a JavaScript app never loads it. (Node's own type stripping is not
 * used: it needs Node ≥ 22.18 and explicit `.ts` extensions in every import.)
 */
function ensureTypeScriptLoader(href: string): Promise<void> {
  typeScriptLoader ??= import("tsx/esm/api").then(
    ({ register }) => {
      register();
    },
    () => {
      typeScriptLoader = null;
      throw new InvalidWorkerOption(
        "config",
        `${fileURLToPath(href)} is TypeScript, which needs tsx (an optional peer of @errand/worker): run "npm install -D tsx", or use a JavaScript file (errand.config.mjs).`,
      );
    },
  );
  return typeScriptLoader;
}

/**
 * `import()`, through tsx for TypeScript files, with a fallback for `.ts` files in a
 * package without `"type": "module"` (a default Next.js app): Node treats them as CommonJS
 * and refuses to `require()` them from an ESM import ("in a cycle"); tsx's `tsImport` loads
 * them.
 */
async function importModule(href: string): Promise<Record<string, unknown>> {
  const typeScript = href.startsWith("file:") && TYPESCRIPT_FILE.test(new URL(href).pathname);
  if (typeScript) await ensureTypeScriptLoader(href);
  try {
    return (await import(href)) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ERR_REQUIRE_CYCLE_MODULE") throw error;
    const { tsImport } = await import("tsx/esm/api");
    return (await tsImport(href, import.meta.url)) as Record<string, unknown>;
  }
}
