import type { TaskErrorRow } from "@errand/db";
import { DependencyFailed } from "../errors";

/**
 * The error a waiting task is FAILED with when a task it depends on failed, as both stores
 * append it (the Postgres trigger of migration 0007 writes the same text).
 *
 * @example
 * dependencyFailedError({ id, taskName: "media.resize" }, 0); // { exceptionClass: "DependencyFailed", … }
 */
export function dependencyFailedError(
  dependency: { id: string; taskName: string },
  attempt: number,
  failedAt = new Date(),
): TaskErrorRow {
  const { message } = new DependencyFailed(dependency.id, dependency.taskName);
  return {
    exceptionClass: "DependencyFailed",
    message,
    traceback: `DependencyFailed: ${message}`,
    attempt,
    failedAt: failedAt.toISOString(),
  };
}
