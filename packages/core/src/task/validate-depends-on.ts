import { MAX_DEPENDENCIES } from "@errand/db";
import { InvalidTask } from "../errors";
import { TaskResult } from "../result/task-result";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Checks `using({ dependsOn })` as far as can be told without the store: an array of at most
 * 1,000 `TaskResult`s or task ids, none twice, results of the task's own backend. Whether each
 * id is stored is the store's check at enqueue (`checkDependencies`).
 *
 * @returns the ids, lowercased, in order.
 * @throws InvalidTask naming the bad entry.
 */
export function validateDependsOn(value: unknown, backend: string, taskName: string): string[] {
  if (!Array.isArray(value)) {
    throw new InvalidTask(
      `dependsOn must be an array of task results or ids, got ${typeof value}; e.g. using({ dependsOn: [a, b] }).`,
      taskName,
    );
  }
  if (value.length > MAX_DEPENDENCIES) {
    throw new InvalidTask(
      `dependsOn lists ${value.length} tasks; at most ${MAX_DEPENDENCIES} are allowed. Fan in through intermediate tasks.`,
      taskName,
    );
  }
  const ids: string[] = [];
  value.forEach((entry: unknown, i) => {
    let id: unknown = entry;
    if (entry instanceof TaskResult) {
      if (entry.backend !== backend) {
        throw new InvalidTask(
          `dependsOn[${i}] is a task of backend "${entry.backend}", but this task enqueues to "${backend}"; a task can only wait for tasks of its own backend.`,
          taskName,
        );
      }
      id = entry.id;
    }
    if (typeof id !== "string" || !UUID.test(id)) {
      throw new InvalidTask(
        `dependsOn[${i}] must be a TaskResult or a task id (a uuid), got ${JSON.stringify(id) ?? typeof id}.`,
        taskName,
      );
    }
    const lower = id.toLowerCase();
    if (ids.includes(lower)) {
      throw new InvalidTask(`dependsOn lists task ${id} twice; list each dependency once.`, taskName);
    }
    ids.push(lower);
  });
  return ids;
}
