import { sql } from "kysely";
import type { Executor } from "./executor";
import { finishedBy } from "./finished-by";
import { taskNotAwaited } from "./task-awaited";
import { isFinishedStatus, type FinishedStatus } from "../../task/task-status";

export interface TaskPruneParams {
  /** Seconds since `finished_at`. */
  age: number;
  statuses: FinishedStatus[];
  queueName?: string | undefined;
  /** Only rows stored by this backend alias. */
  backend?: string | undefined;
  dryRun?: boolean | undefined;
}

/**
 * Deletes tasks finished at least `age` seconds ago (`finishedBy`) (django-tasks' `prune_db_task_results`);
 * PENDING and RUNNING rows are never touched, nor a task that one of them waits on. Returns the count deleted, or that would be.
 */
export async function taskPrune(db: Executor, params: TaskPruneParams): Promise<number> {
  const statuses = params.statuses.filter(isFinishedStatus);
  if (statuses.length === 0) return 0;
  if (params.dryRun) {
    let q = db
      .selectFrom("errand_tasks")
      .select(sql<number>`count(*)::int`.as("count"))
      .where("status", "in", statuses)
      .where(finishedBy(params.age))
      .where(taskNotAwaited("errand_tasks"));
    if (params.queueName) q = q.where("queue_name", "=", params.queueName);
    if (params.backend) q = q.where("backend", "=", params.backend);
    return (await q.executeTakeFirstOrThrow()).count;
  }
  let d = db
    .deleteFrom("errand_tasks")
    .where("status", "in", statuses)
    .where(finishedBy(params.age))
    .where(taskNotAwaited("errand_tasks"));
  if (params.queueName) d = d.where("queue_name", "=", params.queueName);
  if (params.backend) d = d.where("backend", "=", params.backend);
  const result = await d.executeTakeFirst();
  return Number(result.numDeletedRows);
}
