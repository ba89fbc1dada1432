import { sql, type RawBuilder } from "kysely";

/**
 * The claim order, in one place: highest `priority` first, then earliest `run_after`, then
 * enqueue order (`seq`). Both stores claim in it — the Postgres store's SQL through
 * `claimOrderBy`, the memory store (and the re-sort of a claim made in two statements) through
 * `compareClaimOrder` — and the schema's pending indexes (migrations 0001 and 0006) are built
 * in it so that a claim reads them in order; `packages/core/test/claim-order.test.ts` checks
 * that the indexes and both forms agree.
 *
 * @example
 * sql`SELECT id FROM errand_tasks WHERE status = 'PENDING' ORDER BY ${claimOrderBy()} LIMIT 10`;
 * due.sort(compareClaimOrder);
 */
export const CLAIM_ORDER_COLUMNS = ["priority DESC", "run_after", "seq"] as const;

/**
 * The claim order as an `ORDER BY` list, its columns qualified by `alias` when given.
 *
 * @example
 * sql`row_number() OVER (PARTITION BY c.queue_name ORDER BY ${claimOrderBy("c")})`;
 */
export function claimOrderBy(alias?: string): RawBuilder<unknown> {
  return sql.raw(CLAIM_ORDER_COLUMNS.map((c) => (alias ? `${alias}.${c}` : c)).join(", "));
}

/** What a task is ordered by: its priority, when it is due and its enqueue sequence number. */
export interface ClaimOrderKey {
  priority: number;
  runAfter: Date;
  seq: number | bigint | string;
}

/**
 * Negative when `a` is claimed before `b`: the TS twin of `claimOrderBy`, for `Array.sort`.
 *
 * @example
 * [low, high].sort(compareClaimOrder); // [high, low]
 */
export function compareClaimOrder(a: ClaimOrderKey, b: ClaimOrderKey): number {
  return b.priority - a.priority || a.runAfter.getTime() - b.runAfter.getTime() || compareSeq(a.seq, b.seq);
}

/** What the memory store keeps of a task: its record and its `seq`. */
interface StoredTask {
  record: { priority: number; runAfter: Date };
  seq: number;
}

/**
 * `compareClaimOrder` for the memory store's entries.
 *
 * @example
 * [...tasks.values()].filter(due).sort(compareStoredClaimOrder);
 */
export function compareStoredClaimOrder(a: StoredTask, b: StoredTask): number {
  return compareClaimOrder(
    { priority: a.record.priority, runAfter: a.record.runAfter, seq: a.seq },
    { priority: b.record.priority, runAfter: b.record.runAfter, seq: b.seq },
  );
}

function compareSeq(a: number | bigint | string, b: number | bigint | string): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  const d = BigInt(a) - BigInt(b);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}
