/**
 * Whether a task finished at least `seconds` before `now`: the cut-off of both prune and
 * retention in the memory store (the Postgres twin is `store/postgres/finished-by.ts`;
 * the conformance suite checks the two agree).
 *
 * @example
 * finishedBy(record.finishedAt, 3600, Date.now()); // true once it finished an hour ago or more
 */
export function finishedBy(finishedAt: Date | null, seconds: number, now: number): boolean {
  return finishedAt !== null && finishedAt.getTime() <= now - seconds * 1000;
}
