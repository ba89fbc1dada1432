import { sql, type RawBuilder } from "kysely";
import type { TaskClaimBatchParams } from "../task-store";

/**
 * What a claim is limited to, as `AND …` conditions on `errand_tasks`: the worker's queues
 * (or every queue but the excluded ones), the ids asked for, its backend alias. One fragment
 * for the fast path and the limited claim, so the two never take different tasks.
 *
 * @example
 * sql`SELECT id FROM errand_tasks WHERE status = 'PENDING' ${claimFilters(params)}`
 */
export function claimFilters(params: TaskClaimBatchParams): RawBuilder<unknown> {
  const exclude = params.excludeQueues ?? [];
  const queueFilter =
    params.queues !== "*"
      ? sql`AND queue_name = ANY(${sql.val([...params.queues])}::text[])`
      : exclude.length > 0
        ? sql`AND NOT (queue_name = ANY(${sql.val([...exclude])}::text[]))`
        : sql``;
  const idFilter = params.ids ? sql`AND id = ANY(${sql.val([...params.ids])}::uuid[])` : sql``;
  const backendFilter = params.backend !== undefined ? sql`AND backend = ${params.backend}` : sql``;
  return sql`${queueFilter} ${idFilter} ${backendFilter}`;
}
