import { sql, type RawBuilder } from "kysely";

/**
 * `finished_at` at least `seconds` before now: the one cut-off that both `taskPrune` (the
 * CLI's and the backend's `prune`) and `taskRetentionPrune` (the worker's retention) delete
 * by, so the two agree on a task finished exactly that long ago (deleted). The memory
 * store's twin is `finishedBy` in `store/finished-by.ts`.
 *
 * @example
 * db.deleteFrom("errand_tasks").where(finishedBy(3600));
 */
export function finishedBy(seconds: number): RawBuilder<boolean> {
  return sql<boolean>`finished_at <= now() - make_interval(secs => ${seconds}::double precision)`;
}
