import { sql, type Kysely, type Migration } from "kysely";

/**
 * The push feed: every statement that changes what a dashboard shows of a task (its status,
 * progress or cancel request; inserts; deletes) tells the servers LISTENing on
 * `errand_task_changes`, from within its transaction, so each hears the change as it is
 * committed and fans it out to its subscribers (the tRPC `watch` subscription):
 *
 * - A statement that changed at most 20 tasks sends `{"c":[[id, status, previousStatus,
 *   queueName, taskName], …]}` (under Postgres's 8,000-byte limit even with 200-character task
 *   names); `previousStatus` is null for an insert.
 * - A bigger one (a drain's claim or completion batch, a bulk enqueue) sends nothing: it bumps
 *   `errand_task_changes_seq`, which each feed reads every 250 ms and answers with a `resync`
 *   (refetch) for its subscribers. Its commit then takes no notification lock (see below).
 * - Deletes and TRUNCATE send `{"resync":"deleted"}`.
 *
 * A lease renewal changes none of those columns and sends nothing. Statement-level triggers
 * with transition tables, like the counters of 0004: one trigger call per statement, whatever
 * its size.
 *
 * Nothing is sent while no feed listens: each feed's LISTEN session keeps a row in
 * `errand_feed_listeners` (its pid), and the triggers first look there. A NOTIFY is not free
 * even when nobody hears it — the committing transaction takes Postgres's notification lock
 * (notifying commits are serialized) and every LISTENing session in the database (the
 * workers' wake-up connections) is woken to read it: a NOTIFY on every claim and completion
 * halved a drain (20,000 tasks: 17–18k/s → 7–11k/s on 2 cores), and still did with a feed
 * listening until big statements bumped the sequence instead. A feed refreshes its row's
 * `seen_at` every 10 s; the triggers ignore rows older than 30 s, so a server that died stops
 * the notifications within 30 s (the next feed that connects deletes its row).
 *
 * Typed `Kysely<any>` on purpose: a migration is frozen in time.
 */
export const taskChangeFeed: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>) {
    await sql`
      CREATE TABLE errand_feed_listeners (
        pid integer PRIMARY KEY,
        seen_at timestamptz NOT NULL DEFAULT now()
      )`.execute(db);

    await sql`CREATE SEQUENCE errand_task_changes_seq`.execute(db);

    // A statement of at most 20 changed rows is listed in one NOTIFY; a bigger one bumps the
    // sequence instead, which the feed reads every 250 ms.
    const notify = (changed: string) =>
      sql.raw(`
      DECLARE
        n integer;
        payload text;
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM errand_feed_listeners WHERE seen_at > now() - interval '30 seconds') THEN RETURN NULL; END IF;
        SELECT count(*), json_build_object('c', json_agg(json_build_array(id, status, previous, queue_name, task_name)))::text
          INTO n, payload FROM (${changed} LIMIT 21) c;
        IF n > 20 THEN PERFORM nextval('errand_task_changes_seq');
        ELSIF n > 0 THEN PERFORM pg_notify('errand_task_changes', payload);
        END IF;
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
        IF NOT EXISTS (SELECT 1 FROM errand_feed_listeners WHERE seen_at > now() - interval '30 seconds') THEN RETURN NULL; END IF;
        IF EXISTS (SELECT 1 FROM old_rows) THEN PERFORM pg_notify('errand_task_changes', '{"resync":"deleted"}'); END IF;
        RETURN NULL;
      END
      $$`.execute(db);
    await sql`CREATE FUNCTION errand_task_changes_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM errand_feed_listeners WHERE seen_at > now() - interval '30 seconds') THEN RETURN NULL; END IF;
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
    await sql`DROP SEQUENCE IF EXISTS errand_task_changes_seq`.execute(db);
  },
};
