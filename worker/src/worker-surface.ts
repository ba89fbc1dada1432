import type { OptionSurface } from "@errand/core/internal";
import { InvalidWorkerOption } from "./errors";

/**
 * How `new Worker()` reports a bad option (its `retention` and `schedules` included): an
 * `InvalidWorkerOption` in the wording every option surface shares. Given `label` (the
 * CLI's, which names flags), messages start with `errand worker` and name the option by it.
 *
 * @example
 * checkOptions(options, table, workerSurface()); // new Worker(): concurrency must be a positive integer, got 0.
 */
export function workerSurface(label?: (name: string) => string): OptionSurface {
  return {
    where: label ? "errand worker" : "new Worker()",
    ...(label
      ? {
          name: (path: string) => {
            const [, head = path, tail = ""] = /^([^.[]+)(.*)$/.exec(path) ?? [];
            return `${label(head)}${tail}`;
          },
        }
      : {}),
    error: (message, path) => new InvalidWorkerOption(path, message),
  };
}
