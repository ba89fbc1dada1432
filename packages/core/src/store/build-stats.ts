import type { QueueTimings, TaskStats, TaskStatus } from "../types";

/** Assembles `TaskStats` from per-queue counts; shared by every backend. */
export function buildStats(
  counts: { queueName: string; status: TaskStatus; count: number }[],
  throughput: TaskStats["throughput"],
  rest: { oldestDueAt: Date | null; timings?: QueueTimings[] | undefined },
): TaskStats {
  const { oldestDueAt, timings = [] } = rest;
  const byStatus: Record<TaskStatus, number> = { PENDING: 0, RUNNING: 0, SUCCESSFUL: 0, FAILED: 0 };
  for (const c of counts) byStatus[c.status] += c.count;
  return { byStatus, byQueue: counts, throughput, oldestDueAt, timings };
}
