import { TASK_COLUMNS, type TaskRow, type TaskStatus } from "@errand/db";
import type { Executor } from "./executor";

export interface TaskListParams {
  status?: TaskStatus | undefined;
  queueName?: string | undefined;
  taskName?: string | undefined;
  /** Enqueue sequence number of the last row of the previous page. */
  beforeSeq?: string | undefined;
  limit: number;
}

/** Tasks newest first, filtered; one more row than `limit` tells the caller a next page exists. */
export async function taskList(db: Executor, params: TaskListParams): Promise<TaskRow[]> {
  let query = db.selectFrom("errand_tasks").select(TASK_COLUMNS);
  if (params.status) query = query.where("status", "=", params.status);
  if (params.queueName) query = query.where("queue_name", "=", params.queueName);
  if (params.taskName) query = query.where("task_name", "=", params.taskName);
  if (params.beforeSeq) query = query.where("seq", "<", params.beforeSeq as never);
  return query
    .orderBy("seq", "desc")
    .limit(params.limit + 1)
    .execute();
}
