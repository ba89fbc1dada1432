import { TASK_COLUMNS, type TaskRow } from "@errand/db";
import { isUuid, type Executor } from "./executor";

/** The task with this id, or `undefined` (also for a malformed id). */
export async function taskGet(db: Executor, params: { id: string }): Promise<TaskRow | undefined> {
  if (!isUuid(params.id)) return undefined;
  return db.selectFrom("errand_tasks").select(TASK_COLUMNS).where("id", "=", params.id).executeTakeFirst();
}
