import { CompiledQuery } from "kysely";
import type { Executor } from "./executor";

/**
 * The renewal statement as text, `$1` the ids, `$2` the worker id, `$3` the lease in
 * seconds: the worker's heartbeat thread runs it on its own connection (it has no Kysely),
 * and `taskRenewLease` runs the same text.
 */
export const RENEW_LEASE_SQL = `UPDATE errand_tasks SET locked_until = now() + make_interval(secs => $3::double precision)
WHERE id = ANY($1::uuid[]) AND status = 'RUNNING' AND locked_by = $2::text
RETURNING id`;

/**
 * Extends the lease of tasks this worker runs. Returns the ids still held: a missing id
 * was rescued by another worker after the lease lapsed, and its run should be aborted.
 */
export async function taskRenewLease(
  db: Executor,
  params: { workerId: string; ids: string[]; leaseSeconds: number },
): Promise<string[]> {
  if (params.ids.length === 0) return [];
  const { rows } = await db.executeQuery<{ id: string }>(
    CompiledQuery.raw(RENEW_LEASE_SQL, [params.ids, params.workerId, params.leaseSeconds]),
  );
  return rows.map((r) => r.id);
}
