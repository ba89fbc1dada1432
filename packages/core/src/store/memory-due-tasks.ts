// Which tasks a claim of the memory store takes, and in what order: the memory twin of
// `taskClaimBatch`'s WHERE, in the claim order of `claim-order.ts`, so both stores claim alike.
import type { TaskRecord } from "../types";
import type { TaskClaimBatchParams } from "./task-store";
import { compareStoredClaimOrder } from "./claim-order";

/**
 * The PENDING tasks due at `now` that a claim with `params` takes: of its queues (and
 * backend, and ids when given), in the claim order, at most `params.limit`. It changes nothing; the caller marks them RUNNING.
 *
 * @example
 * const due = memoryDueTasks(tasks, { queues: ["default"], limit: 10, workerId, leaseSeconds: 30 }, new Date());
 */
export function memoryDueTasks<T extends { record: TaskRecord; seq: number }>(
  tasks: ReadonlyMap<string, T>,
  params: TaskClaimBatchParams,
  now: Date,
): T[] {
  const exclude = params.excludeQueues ?? [];
  const ids = params.ids && new Set(params.ids.map((id) => id.toLowerCase()));
  // With ids (the immediate backend's claim of the task it just stored), only those are
  // looked at: a claim costs the same however many results the store keeps.
  const candidates = ids ? [...ids].flatMap((id) => tasks.get(id) ?? []) : [...tasks.values()];
  return candidates
    .filter(
      ({ record: r }) =>
        r.status === "PENDING" &&
        r.waitingOn === 0 &&
        r.runAfter.getTime() <= now.getTime() &&
        (params.queues === "*" ? !exclude.includes(r.queueName) : params.queues.includes(r.queueName)) &&
        (!ids || ids.has(r.id)) &&
        (params.backend === undefined || r.backend === params.backend),
    )
    .sort(compareStoredClaimOrder)
    .slice(0, params.limit);
}
