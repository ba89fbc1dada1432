import { MAX_DEPENDENCIES } from "@errand/db";
import { InvalidTask } from "../errors";
import type { EnqueueRequest, TaskStatus } from "../types";

/** What a store knows of a dependency when it checks an enqueue. */
export interface StoredDependency {
  id: string;
  taskName: string;
  backend: string;
  status: TaskStatus;
}

/**
 * The one rule both stores apply to `dependsOn` at enqueue, before storing anything: every id
 * names a stored task of the same backend, at most 1,000, none twice. A task can only depend
 * on tasks stored before it, so a dependency on itself or a cycle cannot be written.
 *
 * @returns for each request, how many of its dependencies have not succeeded and the first
 *   one (in `dependsOn` order) that already FAILED, if any.
 * @throws InvalidTask naming the offending id; the caller stores nothing.
 */
export function checkDependencies(
  requests: readonly EnqueueRequest[],
  backend: string,
  stored: ReadonlyMap<string, StoredDependency>,
): { waitingOn: number; failed: StoredDependency | undefined }[] {
  return requests.map((request) => {
    const ids = request.dependsOn;
    const where = `Task "${request.taskName}": dependsOn`;
    if (ids.length > MAX_DEPENDENCIES) {
      throw new InvalidTask(
        `${where} lists ${ids.length} tasks; at most ${MAX_DEPENDENCIES} are allowed. Fan in through intermediate tasks.`,
        request.taskName,
      );
    }
    let waitingOn = 0;
    let failed: StoredDependency | undefined;
    const seen = new Set<string>();
    for (const id of ids) {
      const key = id.toLowerCase();
      if (seen.has(key)) {
        throw new InvalidTask(`${where} lists task ${id} twice; list each dependency once.`, request.taskName);
      }
      seen.add(key);
      const dependency = stored.get(key);
      if (!dependency) {
        throw new InvalidTask(
          `${where}: no task with id ${JSON.stringify(id)} is stored on backend "${backend}". Enqueue the dependency first (on the same backend) and pass its result or id; nothing was enqueued.`,
          request.taskName,
        );
      }
      if (dependency.backend !== backend) {
        throw new InvalidTask(
          `${where}: task ${id} belongs to backend "${dependency.backend}", not "${backend}"; a task can only wait for tasks of its own backend. Nothing was enqueued.`,
          request.taskName,
        );
      }
      if (dependency.status !== "SUCCESSFUL") waitingOn += 1;
      if (dependency.status === "FAILED") failed ??= dependency;
    }
    return { waitingOn, failed };
  });
}
