import { sql, type Kysely, type Migration } from "kysely";

/**
 * The push feed: every statement that changes what a dashboard shows of a task (its status,
 * progress or cancel request; inserts; deletes) sends one NOTIFY on `errand_task_changes`
 * in the same transaction, so a server LISTENing on one connection hears each change as it
 * is committed and fans it out to its subscribers (the tRPC `watch` subscription).
 *
 * Payloads (under Postgres's 8,000-byte limit):
 * - `{"c":[[id, status, previousStatus, queueName, taskName], …]}` — at most 20 rows each
 *   (a 200-character task name keeps one under ≈6 KB); `previousStatus` is null for an insert.
 * - `{"resync":"overflow"}` — the statement changed more than 100 tasks (a claim or completion
 *   batch in a drain, a bulk enqueue): one message instead of a list, and the listener refetches.
 * - `{"resync":"deleted"}` — tasks were deleted (pruning) or the table was truncated.
 *
 * A lease renewal changes none of those columns and sends nothing. Statement-level triggers
 * with transition tables, like the counters of 0004: one trigger call per statement, whatever
 * its size.
 *
 * Nothing is sent while no feed listens: each feed's LISTEN session keeps a row in
 * `errand_feed_listeners` (its pid), and the triggers first look there. A NOTIFY is not free
 * even when nobody hears it — the committing transaction takes Postgres's notification lock
 * and every LISTENing session in the database (the workers' wake-up connections) is woken to
 * read it: sent on every claim and completion, it halved a drain (20,000 tasks: 17–18k/s →
 * 7–11k/s on 2 cores). A row left by a server that died is removed by the next feed that
 * connects (its pid is gone from `pg_stat_activity`).
 *
 * Typed `Kysely<any>` on purpose: a migration is frozen in time.
 */
export const taskChangeFeed: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>) {
    await sql`
      CREATE TABLE errand_feed_listeners (
        pid integer PRIMARY KEY,
        listening_since timestamptz NOT NULL DEFAULT now()
      )`.execute(db);

    // The rows of one statement, numbered; sent as lists of 20, or as one overflow message.
    const notify = (changed: string) =>
      sql.raw(`
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM errand_feed_listeners) THEN RETURN NULL; END IF;
        PERFORM pg_notify('errand_task_changes',
          CASE WHEN max(total) > 100 THEN '{"resync":"overflow"}'
          ELSE json_build_object('c', json_agg(json_build_array(id, status, previous, queue_name, task_name)))::text END)
        FROM (SELECT *, row_number() OVER () - 1 AS i, count(*) OVER () AS total FROM (${changed}) c) numbered
        GROUP BY CASE WHEN total > 100 THEN 0 ELSE i / 20 END;
        RETURN NULL;
      END`);

    await sql`CREATE FUNCTION errand_task_changes_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      ${notify("SELECT id, status, NULL::text AS previous, queue_name, task_name FROM new_rows")}
      $$`.execute(db);
    await sql`CREATE FUNCTION errand_task_changes_update() RETURNS trigger LANGUAGE plpgsql AS $$
      ${notify(`SELECT n.id, n.status, o.status AS previous, n.queue_name, n.task_name
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE n.status IS DISTINCT FROM o.status
          OR n.progress_done IS DISTINCT FROM o.progress_done
          OR n.progress_total IS DISTINCT FROM o.progress_total
          OR n.cancel_requested_at IS DISTINCT FROM o.cancel_requested_at`)}
      $$`.execute(db);
    await sql`CREATE FUNCTION errand_task_changes_delete() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM errand_feed_listeners) THEN RETURN NULL; END IF;
        IF EXISTS (SELECT 1 FROM old_rows) THEN PERFORM pg_notify('errand_task_changes', '{"resync":"deleted"}'); END IF;
        RETURN NULL;
      END
      $$`.execute(db);
    await sql`CREATE FUNCTION errand_task_changes_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM errand_feed_listeners) THEN RETURN NULL; END IF;
        PERFORM pg_notify('errand_task_changes', '{"resync":"deleted"}');
        RETURN NULL;
      END
      $$`.execute(db);

    await sql`CREATE TRIGGER errand_tasks_changes_insert AFTER INSERT ON errand_tasks
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION errand_task_changes_insert()`.execute(db);
    await sql`CREATE TRIGGER errand_tasks_changes_update AFTER UPDATE ON errand_tasks
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION errand_task_changes_update()`.execute(db);
    await sql`CREATE TRIGGER errand_tasks_changes_delete AFTER DELETE ON errand_tasks
      REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION errand_task_changes_delete()`.execute(db);
    await sql`CREATE TRIGGER errand_tasks_changes_truncate AFTER TRUNCATE ON errand_tasks
      FOR EACH STATEMENT EXECUTE FUNCTION errand_task_changes_truncate()`.execute(db);
  },

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async down(db: Kysely<any>) {
    for (const op of ["insert", "update", "delete", "truncate"]) {
      await sql.raw(`DROP TRIGGER IF EXISTS errand_tasks_changes_${op} ON errand_tasks`).execute(db);
      await sql.raw(`DROP FUNCTION IF EXISTS errand_task_changes_${op}()`).execute(db);
    }
    await sql`DROP TABLE IF EXISTS errand_feed_listeners`.execute(db);
  },
};
