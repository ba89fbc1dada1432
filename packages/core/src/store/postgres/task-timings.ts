import { sql } from "kysely";
import type { Executor } from "./executor";
import type { TimingBucketRow } from "../timing-buckets";

/**
 * The lag and duration histograms of the last hour, per queue (the rows the statements that
 * finish tasks append, `timingSamples`): a few hundred rows at most after compaction, whatever
 * the number of tasks.
 */
export async function taskTimings(db: Executor): Promise<TimingBucketRow[]> {
  const { rows } = await sql<TimingBucketRow>`
    SELECT queue_name AS "queueName", kind, bucket, sum(count)::int AS count
    FROM errand_task_timings WHERE minute > now() - interval '1 hour'
    GROUP BY 1, 2, 3`.execute(db);
  return rows;
}
