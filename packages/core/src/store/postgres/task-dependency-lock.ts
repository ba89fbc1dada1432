import type { TaskStatus } from "@errand/db";
import { isUuid, type Executor } from "./executor";

/**
 * Reads the tasks an enqueue is about to depend on, and holds them `FOR SHARE` until its
 * transaction ends. Safe against a concurrent finish: the share lock conflicts with the row
 * lock of the UPDATE that finishes a task, so either that UPDATE committed first (this read
 * waits, then sees the task finished) or it waits for this enqueue to commit, and then the
 * trigger of migration 0007 sees the new edges and releases or fails the new task. Rows
 * are locked in id order, so two enqueues never deadlock over the same dependencies.
 * Malformed ids are simply not found.
 */
export async function taskDependencyLock(
  db: Executor,
  params: { ids: readonly string[] },
): Promise<{ id: string; task_name: string; backend: string; status: TaskStatus }[]> {
  const ids = [...new Set(params.ids.filter(isUuid).map((id) => id.toLowerCase()))];
  if (ids.length === 0) return [];
  return db
    .selectFrom("errand_tasks")
    .select(["id", "task_name", "backend", "status"])
    .where("id", "=", (eb) => eb.fn.any(eb.val(ids)))
    .orderBy("id")
    .forShare()
    .execute();
}
