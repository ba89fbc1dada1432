import { sql, type Kysely, type Migration } from "kysely";

/**
 * The lag and duration histograms (`errand_task_timings`, migration 0008) are sampled by the
 * statements that finish tasks instead of by a trigger on every update of the task table.
 *
 * The trigger ran for every claim, completion, failure, lease renewal and progress update and
 * scanned each statement's rows: measured at about a seventh of Postgres's time per task of
 * a drain (worker/bench/README.md). The completion and failure statements now append the
 * samples of the tasks they finish, from the rows they return (lag: due → the last attempt's
 * start; duration: that start → finished), as the memory store computes them; the worker's
 * compaction timer folds the rows (`errand_task_timings_compact()`, unchanged).
 *
 * Typed `Kysely<any>` on purpose: a migration is frozen in time.
 */
export const taskTimingsFromOutcomes: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>) {
    await sql`DROP TRIGGER errand_tasks_timings_update ON errand_tasks`.execute(db);
    await sql`DROP FUNCTION errand_task_timings_update()`.execute(db);
  },

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async down(db: Kysely<any>) {
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
};
