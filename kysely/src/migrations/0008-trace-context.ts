import { sql, type Kysely, type Migration } from "kysely";

/**
 * Telemetry.
 *
 * - `traceparent`, `tracestate`: the W3C trace context of the span that enqueued the task, so
 *   the worker's run span is its child (one trace from the request to the task). Plain
 *   nullable columns without defaults: adding them rewrites nothing, and a task enqueued
 *   without tracing stores two NULLs.
 * - `errand_task_timings`: the dashboard's lag (due → start) and duration (start → finish)
 *   percentiles per queue over the last hour, kept as log-scale histograms rather than read
 *   from the task table (which has no index on `finished_at`, and would sort a million rows
 *   an hour). A statement-level trigger, like the counters of 0004, appends one row per
 *   (queue, minute, kind, bucket) a claim or completion statement touched: a claim of 250
 *   tasks adds a handful of rows, not 250. Bucket `b` holds values in
 *   [2^(b/4), 2^((b+1)/4)) milliseconds (bucket 0 everything under 1.19 ms), so a percentile
 *   read from it is within ±9 %. Append-only; `errand_task_timings_compact()` folds the rows
 *   and drops minutes older than two hours now and then (one writing statement in 500).
 *
 * Typed `Kysely<any>` on purpose: a migration is frozen in time.
 */
export const traceContext: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>) {
    await sql`ALTER TABLE errand_tasks
      ADD COLUMN traceparent text CONSTRAINT errand_tasks_traceparent_length CHECK (char_length(traceparent) <= 55),
      ADD COLUMN tracestate text CONSTRAINT errand_tasks_tracestate_length CHECK (char_length(tracestate) <= 512)`.execute(
      db,
    );

    await sql`
      CREATE TABLE errand_task_timings (
        queue_name varchar(32) NOT NULL,
        minute timestamptz NOT NULL,
        kind text NOT NULL CONSTRAINT errand_task_timings_kind CHECK (kind IN ('lag', 'duration')),
        bucket smallint NOT NULL,
        count bigint NOT NULL
      )`.execute(db);

    await sql`CREATE FUNCTION errand_task_timings_compact() RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        IF NOT pg_try_advisory_xact_lock(hashtext('errand_task_timings_compact')) THEN RETURN; END IF;
        WITH gone AS (DELETE FROM errand_task_timings RETURNING queue_name, minute, kind, bucket, count)
        INSERT INTO errand_task_timings (queue_name, minute, kind, bucket, count)
        SELECT queue_name, minute, kind, bucket, sum(count) FROM gone
        WHERE minute > now() - interval '2 hours'
        GROUP BY 1, 2, 3, 4;
      END
      $$`.execute(db);

    // A claim stamps `last_attempted_at = now()` on the rows it makes RUNNING: their lag is
    // now − run_after. A completion or final failure stamps `finished_at = now()`: its
    // duration is finished_at − last_attempted_at (the function's real start). Other updates
    // (lease renewals, progress, cancels of PENDING tasks) match neither.
    await sql`CREATE FUNCTION errand_task_timings_update() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO errand_task_timings (queue_name, minute, kind, bucket, count)
        SELECT queue_name, date_trunc('minute', now()), kind,
          floor(4 * ln(greatest(ms, 1)) / ln(2))::smallint, count(*)
        FROM (
          SELECT queue_name, 'lag' AS kind, extract(epoch FROM now() - run_after) * 1000 AS ms
          FROM new_rows WHERE status = 'RUNNING' AND last_attempted_at = now()
          UNION ALL
          SELECT queue_name, 'duration', extract(epoch FROM finished_at - last_attempted_at) * 1000
          FROM new_rows
          WHERE status IN ('SUCCESSFUL', 'FAILED') AND finished_at = now() AND last_attempted_at IS NOT NULL
        ) AS s
        GROUP BY 1, 3, 4;
        IF random() < 0.002 THEN PERFORM errand_task_timings_compact(); END IF;
        RETURN NULL;
      END
      $$`.execute(db);
    await sql`CREATE TRIGGER errand_tasks_timings_update AFTER UPDATE ON errand_tasks
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION errand_task_timings_update()`.execute(db);
  },

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async down(db: Kysely<any>) {
    await sql`DROP TRIGGER IF EXISTS errand_tasks_timings_update ON errand_tasks`.execute(db);
    await sql`DROP FUNCTION IF EXISTS errand_task_timings_update()`.execute(db);
    await sql`DROP FUNCTION IF EXISTS errand_task_timings_compact()`.execute(db);
    await sql`DROP TABLE IF EXISTS errand_task_timings`.execute(db);
    await sql`ALTER TABLE errand_tasks DROP COLUMN IF EXISTS traceparent, DROP COLUMN IF EXISTS tracestate`.execute(db);
  },
};
