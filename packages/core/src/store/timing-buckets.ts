import type { QueueTimings, TimingPercentiles } from "../types";

/**
 * The log-scale bucket of a sample, as the `errand_task_timings` trigger computes it
 * (migration 0008): bucket `b` holds [2^(b/4), 2^((b+1)/4)) ms, bucket 0 everything below.
 */
export function timingBucket(ms: number): number {
  return Math.floor((4 * Math.log(Math.max(ms, 1))) / Math.LN2);
}

/** A bucket's middle (geometric), what a percentile falling in it reads as. */
function bucketValue(bucket: number): number {
  return bucket === 0 ? 1 : Math.round(2 ** ((bucket + 0.5) / 4) * 10) / 10;
}

/** p50 and p95 of a histogram (bucket → count); `null` when it is empty. */
export function percentilesOf(histogram: Map<number, number>): TimingPercentiles | null {
  const buckets = [...histogram].filter(([, n]) => n > 0).sort(([a], [b]) => a - b);
  const count = buckets.reduce((n, [, c]) => n + c, 0);
  if (count === 0) return null;
  const at = (p: number) => {
    const rank = Math.ceil(p * count);
    let seen = 0;
    for (const [bucket, n] of buckets) {
      seen += n;
      if (seen >= rank) return bucketValue(bucket);
    }
    return bucketValue(buckets[buckets.length - 1]![0]);
  };
  return { p50: at(0.5), p95: at(0.95), count };
}

/** One row of the timing histograms: a bucket's count for a queue and a kind. */
export interface TimingBucketRow {
  queueName: string;
  kind: "lag" | "duration";
  bucket: number;
  count: number;
}

/** Per-queue percentiles from histogram rows, queues sorted by name. */
export function queueTimingsOf(rows: Iterable<TimingBucketRow>): QueueTimings[] {
  const byQueue = new Map<string, { lag: Map<number, number>; duration: Map<number, number> }>();
  for (const row of rows) {
    const queue = byQueue.get(row.queueName) ?? { lag: new Map(), duration: new Map() };
    const histogram = queue[row.kind];
    histogram.set(row.bucket, (histogram.get(row.bucket) ?? 0) + row.count);
    byQueue.set(row.queueName, queue);
  }
  return [...byQueue]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([queueName, h]) => ({ queueName, lag: percentilesOf(h.lag), duration: percentilesOf(h.duration) }));
}
