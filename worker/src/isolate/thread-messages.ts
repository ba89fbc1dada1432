import type { TaskError } from "@errand/core";

/** What the thread of an isolated attempt is started with. */
export interface IsolatedTaskData {
  /** The module the bootstrap imports (the thread's code). */
  entry: string;
  /** The claimed task (structured-cloned). */
  record: { taskName: string; attempts: number; backend: string };
  /** The config file the worker loaded (backends, task modules), or `null`. */
  configFile: string | null;
  /** What its dependencies returned (`ctx.dependencies`). */
  dependencies: { id: string; taskName: string; returnValue: unknown }[];
  /** Task modules to import besides the config's (absolute file URLs or package names). */
  taskModules: string[];
}

/** What the thread posts back: progress, then exactly one `done`. */
export type ThreadMessage =
  | { type: "progress"; done: number; total: number | null }
  | { type: "done"; ok: true; json: string }
  | { type: "done"; ok: false; error: TaskError; doNotRetry: boolean };
