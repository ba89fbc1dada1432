import type { Executor } from "./executor";

/** Stores a running task's progress. Returns false if this worker no longer holds it. */
export async function taskSetProgress(
  db: Executor,
  params: { id: string; workerId: string; done: number; total: number | null },
): Promise<boolean> {
  const result = await db
    .updateTable("errand_tasks")
    .set({ progress_done: params.done, progress_total: params.total })
    .where("id", "=", params.id)
    .where("status", "=", "RUNNING")
    .where("locked_by", "=", params.workerId)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
