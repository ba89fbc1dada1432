import type { TaskRecord, TaskStats, TaskStatus } from "../types";
import { buildStats } from "./build-stats";
import { queueTimingsOf, timingBucket, type TimingBucketRow } from "./timing-buckets";

/** `taskStats` over records in memory, computed as the Postgres store's SQL does. */
export function memoryTaskStats(records: Iterable<TaskRecord>): TaskStats {
  const counts = new Map<string, { queueName: string; status: TaskStatus; count: number }>();
  const minutes = new Map<number, { minute: Date; successful: number; failed: number }>();
  const now = Date.now();
  const hourAgo = now - 3_600_000;
  let oldestDueAt: Date | null = null;
  // Like the trigger's histograms, from what the records keep: the last attempt's lag and
  // duration of each task finished in the last hour.
  const timings: TimingBucketRow[] = [];
  for (const r of records) {
    if (r.finishedAt && r.finishedAt.getTime() > hourAgo && r.lastAttemptedAt) {
      const ran = r.lastAttemptedAt.getTime();
      const sample = (kind: TimingBucketRow["kind"], ms: number) =>
        timings.push({ queueName: r.queueName, kind, bucket: timingBucket(ms), count: 1 });
      sample("lag", ran - r.runAfter.getTime());
      sample("duration", r.finishedAt.getTime() - ran);
    }
    const key = `${r.queueName}\u0000${r.status}`;
    const c = counts.get(key) ?? { queueName: r.queueName, status: r.status, count: 0 };
    c.count += 1;
    counts.set(key, c);
    if (r.finishedAt && r.finishedAt.getTime() > hourAgo) {
      const minute = Math.floor(r.finishedAt.getTime() / 60_000) * 60_000;
      const m = minutes.get(minute) ?? { minute: new Date(minute), successful: 0, failed: 0 };
      if (r.status === "SUCCESSFUL") m.successful += 1;
      else m.failed += 1;
      minutes.set(minute, m);
    }
    if (r.status === "PENDING" && r.runAfter.getTime() <= now && (!oldestDueAt || r.runAfter < oldestDueAt)) {
      oldestDueAt = r.runAfter;
    }
  }
  return buildStats(
    [...counts.values()].sort((a, b) => a.queueName.localeCompare(b.queueName)),
    [...minutes.values()].sort((a, b) => a.minute.getTime() - b.minute.getTime()),
    { oldestDueAt, timings: queueTimingsOf(timings) },
  );
}
