import { sql, type Kysely, type Migration, type RawBuilder } from "kysely";

/**
 * Counts kept as the task table changes, so that the dashboard's `stats` reads a few rows
 * instead of counting millions (a `count(*)` of 1,000,000 tasks took 0.3 s per call).
 *
 * Statement-level triggers with transition tables add one row per (queue, status) whose count
 * a statement changed to `errand_task_counts`, and one row per minute of finished tasks to
 * `errand_task_throughput`: a claim of 300 tasks adds two rows (PENDING −300, RUNNING +300), a
 * lease renewal none. The tables are append-only — no row is ever updated by a writer — so
 * concurrent workers never wait on each other or deadlock over a hot counter row; readers sum
 * them, and `errand_task_counts_compact()` folds the rows into one per key now and then (a
 * read that finds many, and about one writing statement in 500).
 *
 * The throughput buckets follow the rows' `finished_at` for two hours (the dashboard shows
 * one), so retrying or pruning a task finished a minute ago removes it from that minute as the
 * `count(*)` did.
 *
 * Typed `Kysely<any>` on purpose: a migration is frozen in time.
 */
export const taskCounts: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>) {
    await sql`
      CREATE TABLE errand_task_counts (
        queue_name varchar(32) NOT NULL,
        status text NOT NULL,
        count bigint NOT NULL
      )`.execute(db);
    await sql`
      CREATE TABLE errand_task_throughput (
        minute timestamptz NOT NULL,
        successful bigint NOT NULL,
        failed bigint NOT NULL
      )`.execute(db);

    // One function per statement kind (a trigger function may only name the transition tables
    // its trigger declares), each one statement that reads each transition table once:
    // ≈0.08 ms added to a one-row INSERT, ≈0.3 ms to a claim or completion of 250 rows.
    const body = (delta: RawBuilder<unknown>) => sql`
      BEGIN
        WITH delta AS (${delta}), counted AS (
          INSERT INTO errand_task_counts (queue_name, status, count)
          SELECT queue_name, status, sum(n) FROM delta GROUP BY 1, 2 HAVING sum(n) <> 0
        )
        INSERT INTO errand_task_throughput (minute, successful, failed)
        SELECT minute, coalesce(sum(n) FILTER (WHERE status = 'SUCCESSFUL'), 0),
          coalesce(sum(n) FILTER (WHERE status = 'FAILED'), 0)
        FROM delta WHERE minute IS NOT NULL AND status IN ('SUCCESSFUL', 'FAILED')
        GROUP BY 1 HAVING sum(n) <> 0;
        -- About one statement in 500 folds the rows, so they stay a few thousand even when
        -- no dashboard reads them (a drain appends ≈300 a second).
        IF random() < 0.002 THEN PERFORM errand_task_counts_compact(); END IF;
        RETURN NULL;
      END`;
    // Rows by queue and status, and by the minute they finished if that was in the last two
    // hours (the dashboard charts one).
    const counted = (table: string, sign: string) =>
      sql.raw(`SELECT queue_name, status,
          CASE WHEN finished_at > now() - interval '2 hours' THEN date_trunc('minute', finished_at) END AS minute,
          ${sign}count(*) AS n
        FROM ${table} GROUP BY 1, 2, 3`);

    await sql`CREATE FUNCTION errand_task_counts_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      ${body(counted("new_rows", ""))}
      $$`.execute(db);
    await sql`CREATE FUNCTION errand_task_counts_update() RETURNS trigger LANGUAGE plpgsql AS $$
      ${body(sql`${counted("new_rows", "")} UNION ALL ${counted("old_rows", "-")}`)}
      $$`.execute(db);
    await sql`CREATE FUNCTION errand_task_counts_delete() RETURNS trigger LANGUAGE plpgsql AS $$
      ${body(counted("old_rows", "-"))}
      $$`.execute(db);
    await sql`CREATE FUNCTION errand_task_counts_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM errand_task_counts;
        DELETE FROM errand_task_throughput;
        RETURN NULL;
      END
      $$`.execute(db);

    await sql`CREATE TRIGGER errand_tasks_count_insert AFTER INSERT ON errand_tasks
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION errand_task_counts_insert()`.execute(db);
    await sql`CREATE TRIGGER errand_tasks_count_update AFTER UPDATE ON errand_tasks
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION errand_task_counts_update()`.execute(db);
    await sql`CREATE TRIGGER errand_tasks_count_delete AFTER DELETE ON errand_tasks
      REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION errand_task_counts_delete()`.execute(db);
    await sql`CREATE TRIGGER errand_tasks_count_truncate AFTER TRUNCATE ON errand_tasks
      FOR EACH STATEMENT EXECUTE FUNCTION errand_task_counts_truncate()`.execute(db);

    // Folds the counts into one row per key, and drops minutes nobody charts any more. One
    // caller at a time (the advisory lock); writers only insert, so they never wait for it.
    await sql`CREATE FUNCTION errand_task_counts_compact() RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        IF NOT pg_try_advisory_xact_lock(hashtext('errand_task_counts_compact')) THEN RETURN; END IF;
        WITH gone AS (DELETE FROM errand_task_counts RETURNING queue_name, status, count)
        INSERT INTO errand_task_counts (queue_name, status, count)
        SELECT queue_name, status, sum(count) FROM gone GROUP BY 1, 2 HAVING sum(count) <> 0;
        WITH gone AS (DELETE FROM errand_task_throughput RETURNING minute, successful, failed)
        INSERT INTO errand_task_throughput (minute, successful, failed)
        SELECT minute, sum(successful), sum(failed) FROM gone
        WHERE minute > now() - interval '2 hours'
        GROUP BY 1 HAVING sum(successful) <> 0 OR sum(failed) <> 0;
      END
      $$`.execute(db);

    // The dashboard's "failed" list, newest first, without walking past millions of successes.
    // Partial, so only failures pay for it: full indexes on (queue_name, seq) and
    // (task_name, seq) cost every claim and completion an index entry each (claiming and
    // completing 20,000 tasks in 250-row statements: 2.0–3.6 s → 3.6–4.5 s) and are left out.
    await sql`CREATE INDEX errand_tasks_failed_idx ON errand_tasks (seq) WHERE status = 'FAILED'`.execute(db);

    // Tasks stored before this migration.
    await sql`INSERT INTO errand_task_counts (queue_name, status, count)
      SELECT queue_name, status, count(*) FROM errand_tasks GROUP BY 1, 2`.execute(db);
    await sql`INSERT INTO errand_task_throughput (minute, successful, failed)
      SELECT date_trunc('minute', finished_at),
        count(*) FILTER (WHERE status = 'SUCCESSFUL'), count(*) FILTER (WHERE status = 'FAILED')
      FROM errand_tasks WHERE finished_at > now() - interval '2 hours' GROUP BY 1`.execute(db);
  },

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async down(db: Kysely<any>) {
    for (const op of ["insert", "update", "delete", "truncate"]) {
      await sql.raw(`DROP TRIGGER IF EXISTS errand_tasks_count_${op} ON errand_tasks`).execute(db);
      await sql.raw(`DROP FUNCTION IF EXISTS errand_task_counts_${op}()`).execute(db);
    }
    await sql`DROP FUNCTION IF EXISTS errand_task_counts_compact()`.execute(db);
    await sql`DROP INDEX IF EXISTS errand_tasks_failed_idx`.execute(db);
    await sql`DROP TABLE IF EXISTS errand_task_counts`.execute(db);
    await sql`DROP TABLE IF EXISTS errand_task_throughput`.execute(db);
  },
};
