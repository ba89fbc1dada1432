import { sql, type RawBuilder } from "kysely";

/**
 * The lag and duration samples of the tasks a statement finished, appended to the
 * dashboard's histograms (`errand_task_timings`, read by `taskTimings`): a data-modifying CTE
 * over the statement's returned rows `rows` (a CTE name). Only rows that finished now
 * (`finished_at` set) and ran (`last_attempted_at` set) count: lag is due (`run_after`) → the
 * last attempt's start, duration that start → finished, as the memory store computes them.
 * One row per (queue, kind, bucket) the statement touched, not per task; bucket `b` holds
 * [2^(b/4), 2^((b+1)/4)) ms (`timingBucket`). In double precision (`date_part`), as in
 * JavaScript: `extract` answers numeric, whose logarithm cost more than the rest of the
 * statement.
 *
 * @example
 * sql`WITH done AS (UPDATE … RETURNING …), timings AS (${timingSamples("done")}) SELECT … FROM done`
 */
export function timingSamples(rows: string): RawBuilder<unknown> {
  const from = sql.raw(`${rows} WHERE finished_at IS NOT NULL AND last_attempted_at IS NOT NULL`);
  return sql`INSERT INTO errand_task_timings (queue_name, minute, kind, bucket, count)
    SELECT queue_name, date_trunc('minute', now()), kind, floor(4 * ln(greatest(ms, 1)) / ln(2))::smallint, count(*)
    FROM (
      SELECT queue_name, 'lag' AS kind, date_part('epoch', last_attempted_at - run_after) * 1000 AS ms FROM ${from}
      UNION ALL
      SELECT queue_name, 'duration', date_part('epoch', finished_at - last_attempted_at) * 1000 FROM ${from}
    ) AS s
    GROUP BY 1, 3, 4`;
}
