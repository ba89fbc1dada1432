import { isUuid, type Executor } from "./executor";

/**
 * The tasks that wait on (or waited on) this one, oldest first, at most `limit`: what
 * finishing it unblocks. Uses the reverse index `errand_task_dependencies_depends_on_idx`.
 */
export async function taskDependentList(
  db: Executor,
  params: { id: string; limit: number },
): Promise<{ id: string; task_name: string; status: string }[]> {
  if (!isUuid(params.id)) return [];
  return db
    .selectFrom("errand_task_dependencies as e")
    .innerJoin("errand_tasks as t", "t.id", "e.task_id")
    .select(["t.id", "t.task_name", "t.status"])
    .where("e.depends_on_id", "=", params.id)
    .orderBy("t.seq")
    .limit(params.limit)
    .execute();
}
