import { MAX_DEPENDENCIES } from "@errand/db";
import { InvalidTask } from "../errors";
import { TaskResult } from "../result/task-result";
import { taskSurface } from "./task-options";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Checks `using({ dependsOn })` as far as can be told without the store: an array of at most
 * 1,000 `TaskResult`s or task ids, none twice, results of the task's own backend. Whether each
 * id is stored is the store's check at enqueue (`checkDependencies`).
 *
 * @returns the ids, lowercased, in order.
 * @throws InvalidTask naming the bad entry.
 */
export function validateDependsOn(value: readonly unknown[], backend: string, taskName: string): string[] {
  // That it is a list is the option table's check (`USING_OPTIONS.dependsOn`); these need more.
  const where = taskSurface(taskName, "using").where;
  if (value.length > MAX_DEPENDENCIES) {
    throw new InvalidTask(
      `${where}: dependsOn lists ${value.length} tasks; at most ${MAX_DEPENDENCIES} are allowed. Fan in through intermediate tasks.`,
      taskName,
    );
  }
  const ids: string[] = [];
  value.forEach((entry: unknown, i) => {
    let id: unknown = entry;
    if (entry instanceof TaskResult) {
      if (entry.backend !== backend) {
        throw new InvalidTask(
          `${where}: dependsOn[${i}] is a task of backend "${entry.backend}", but this task enqueues to "${backend}"; a task can only wait for tasks of its own backend.`,
          taskName,
        );
      }
      id = entry.id;
    }
    if (typeof id !== "string" || !UUID.test(id)) {
      throw new InvalidTask(
        `${where}: dependsOn[${i}] must be a TaskResult or a task id (a uuid), got ${JSON.stringify(id) ?? typeof id}.`,
        taskName,
      );
    }
    const lower = id.toLowerCase();
    if (ids.includes(lower)) {
      throw new InvalidTask(`${where}: dependsOn lists task ${id} twice; list each dependency once.`, taskName);
    }
    ids.push(lower);
  });
  return ids;
}
