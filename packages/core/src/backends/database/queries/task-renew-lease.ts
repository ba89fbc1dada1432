import { sql } from "kysely";
import type { Executor } from "./executor";

/**
 * Extends the lease of tasks this worker runs. Returns the ids still held: a missing id
 * was rescued by another worker after the lease lapsed, and its run should be aborted.
 */
export async function taskRenewLease(
  db: Executor,
  params: { workerId: string; ids: string[]; leaseSeconds: number },
): Promise<string[]> {
  if (params.ids.length === 0) return [];
  const rows = await db
    .updateTable("errand_tasks")
    .set({ locked_until: sql`now() + make_interval(secs => ${params.leaseSeconds}::double precision)` })
    .where("id", "=", sql<string>`ANY(${params.ids}::uuid[])`)
    .where("status", "=", "RUNNING")
    .where("locked_by", "=", params.workerId)
    .returning("id")
    .execute();
  return rows.map((r) => r.id);
}
