import { sql, type Kysely, type Migration } from "kysely";

/**
 * Tasks that wait for other tasks (`using({ dependsOn })`).
 *
 * - `errand_tasks.depends_on`: the row's own list of dependencies, in `dependsOn` order
 *   (NULL: none), read with the row by every query that reads rows — no join on the claim.
 * - `errand_tasks.waiting_on`: how many of them have not succeeded yet. The claim skips a task
 *   while it is above 0.
 * - `errand_task_dependencies`: the same edges, one row each, indexed both ways: the reverse
 *   index ("who waits on this task?") is what a finishing task looks its dependents up in.
 *
 * Whoever finishes a task moves its dependents, in the same transaction, by the statement
 * trigger below — whatever the statement (a worker's completion, a failure out of retries, a
 * cancel, a lease rescue, a retry), so no path forgets and no sweep polls:
 *
 * - a dependency that became SUCCESSFUL takes one off each dependent's `waiting_on`; a
 *   dependent that reaches 0 is due, and its queue is woken (NOTIFY `errand_tasks`);
 * - a dependency that became FAILED fails its PENDING dependents with a `DependencyFailed`
 *   error naming it; that UPDATE fires the trigger again, so it goes on transitively;
 * - a dependent retried (FAILED → PENDING) counts again what it waits on.
 *
 * Dependents are locked in id order before they are changed, so two completions that release
 * the same fan-ins cannot deadlock each other. An enqueue reads its dependencies `FOR SHARE`
 * (see core's `taskInsert`), so a dependency cannot finish between that read and the
 * commit of the edges.
 *
 * The trigger costs a statement that touches no task with dependents one look at its
 * transition table (already captured for the counters of 0004) and one probe of the reverse
 * index per finished row; see worker/bench/README.md for the drain measured with and without.
 *
 * Typed `Kysely<any>` on purpose: a migration is frozen in time.
 */
export const taskDependencies: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>) {
    await sql`ALTER TABLE errand_tasks
      ADD COLUMN depends_on uuid[],
      ADD COLUMN waiting_on integer NOT NULL DEFAULT 0,
      ADD CONSTRAINT errand_tasks_waiting_on_range
        CHECK (waiting_on >= 0 AND waiting_on <= coalesce(cardinality(depends_on), 0)),
      ADD CONSTRAINT errand_tasks_depends_on_size
        CHECK (depends_on IS NULL OR (cardinality(depends_on) BETWEEN 1 AND 1000))`.execute(db);

    await sql`
      CREATE TABLE errand_task_dependencies (
        task_id uuid NOT NULL,
        depends_on_id uuid NOT NULL,
        position integer NOT NULL,
        PRIMARY KEY (task_id, position),
        CONSTRAINT errand_task_dependencies_not_self CHECK (task_id <> depends_on_id),
        CONSTRAINT errand_task_dependencies_position_range CHECK (position >= 0 AND position < 1000),
        CONSTRAINT errand_task_dependencies_once UNIQUE (task_id, depends_on_id)
      )`.execute(db);
    await sql`CREATE INDEX errand_task_dependencies_depends_on_idx ON errand_task_dependencies (depends_on_id)`.execute(
      db,
    );

    await sql`CREATE FUNCTION errand_task_dependencies_update() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        ids uuid[];
        counts integer[];
        queues text[];
        q text;
      BEGIN
        -- The common case, a statement that finishes or retries no task with dependents or
        -- dependencies, ends here.
        IF NOT EXISTS (
          SELECT 1 FROM new_rows n
          WHERE (n.status IN ('SUCCESSFUL', 'FAILED')
              AND EXISTS (SELECT 1 FROM errand_task_dependencies e WHERE e.depends_on_id = n.id))
            OR (n.status = 'PENDING' AND n.depends_on IS NOT NULL)
        ) THEN
          RETURN NULL;
        END IF;

        -- Retried dependents (FAILED → PENDING) wait again for what has not succeeded.
        SELECT array_agg(n.id ORDER BY n.id) INTO ids
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE n.status = 'PENDING' AND o.status = 'FAILED' AND n.depends_on IS NOT NULL;
        IF ids IS NOT NULL THEN
          PERFORM 1 FROM errand_tasks WHERE id = ANY(ids) ORDER BY id FOR NO KEY UPDATE;
          UPDATE errand_tasks t SET waiting_on = (
            SELECT count(*) FROM errand_task_dependencies e JOIN errand_tasks d ON d.id = e.depends_on_id
            WHERE e.task_id = t.id AND d.status <> 'SUCCESSFUL')
          WHERE t.id = ANY(ids) AND t.status = 'PENDING';
        END IF;

        -- Dependencies that just succeeded: one less to wait for.
        SELECT array_agg(task_id ORDER BY task_id), array_agg(n ORDER BY task_id) INTO ids, counts FROM (
          SELECT e.task_id, count(*)::integer AS n
          FROM new_rows n JOIN old_rows o ON o.id = n.id
          JOIN errand_task_dependencies e ON e.depends_on_id = n.id
          WHERE n.status = 'SUCCESSFUL' AND o.status <> 'SUCCESSFUL'
          GROUP BY e.task_id) s;
        IF ids IS NOT NULL THEN
          PERFORM 1 FROM errand_tasks WHERE id = ANY(ids) ORDER BY id FOR NO KEY UPDATE;
          WITH released AS (
            UPDATE errand_tasks t SET waiting_on = greatest(t.waiting_on - s.n, 0)
            FROM unnest(ids, counts) AS s(id, n)
            WHERE t.id = s.id AND t.status = 'PENDING' AND t.waiting_on > 0
            RETURNING t.queue_name, t.waiting_on
          )
          SELECT array_agg(DISTINCT queue_name) INTO queues FROM released WHERE waiting_on = 0;
          -- Idle workers wake up for the tasks just released (as for an insert).
          IF queues IS NOT NULL THEN
            FOREACH q IN ARRAY queues LOOP PERFORM pg_notify('errand_tasks', q); END LOOP;
          END IF;
        END IF;

        -- Dependencies that just failed (out of retries, or cancelled): their waiting
        -- dependents fail without running, naming the first failed dependency. This UPDATE
        -- fires this trigger again, which fails their dependents in turn.
        SELECT array_agg(DISTINCT e.task_id ORDER BY e.task_id) INTO ids
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        JOIN errand_task_dependencies e ON e.depends_on_id = n.id
        WHERE n.status = 'FAILED' AND o.status <> 'FAILED';
        IF ids IS NOT NULL THEN
          PERFORM 1 FROM errand_tasks WHERE id = ANY(ids) ORDER BY id FOR NO KEY UPDATE;
          UPDATE errand_tasks t SET
            status = 'FAILED',
            finished_at = now(),
            errors = t.errors || jsonb_build_array(jsonb_build_object(
              'exceptionClass', 'DependencyFailed',
              'message', f.message,
              'traceback', 'DependencyFailed: ' || f.message,
              'attempt', t.attempts,
              'failedAt', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))
          FROM (
            SELECT DISTINCT ON (e.task_id) e.task_id,
              format('Task %s ("%s"), which this task depends on, failed, so this task did not run. Retry that task, then this one.', d.id, d.task_name) AS message
            FROM errand_task_dependencies e JOIN errand_tasks d ON d.id = e.depends_on_id
            WHERE e.task_id = ANY(ids) AND d.status = 'FAILED'
            ORDER BY e.task_id, e.position
          ) f
          WHERE t.id = f.task_id AND t.status = 'PENDING';
        END IF;
        RETURN NULL;
      END
      $$`.execute(db);
    await sql`CREATE TRIGGER errand_tasks_dependencies_update AFTER UPDATE ON errand_tasks
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION errand_task_dependencies_update()`.execute(db);

    // The edges of deleted tasks go with them, both ways. Not foreign keys: those would refuse
    // a plain TRUNCATE errand_tasks (tests, resets) and add two row-level checks per deleted row.
    await sql`CREATE FUNCTION errand_task_dependencies_delete() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM errand_task_dependencies e USING old_rows o WHERE e.task_id = o.id;
        DELETE FROM errand_task_dependencies e USING old_rows o WHERE e.depends_on_id = o.id;
        RETURN NULL;
      END
      $$`.execute(db);
    await sql`CREATE TRIGGER errand_tasks_dependencies_delete AFTER DELETE ON errand_tasks
      REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION errand_task_dependencies_delete()`.execute(
      db,
    );
    await sql`CREATE FUNCTION errand_task_dependencies_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM errand_task_dependencies;
        RETURN NULL;
      END
      $$`.execute(db);
    await sql`CREATE TRIGGER errand_tasks_dependencies_truncate AFTER TRUNCATE ON errand_tasks
      FOR EACH STATEMENT EXECUTE FUNCTION errand_task_dependencies_truncate()`.execute(db);
  },

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async down(db: Kysely<any>) {
    for (const op of ["update", "delete", "truncate"]) {
      await sql.raw(`DROP TRIGGER IF EXISTS errand_tasks_dependencies_${op} ON errand_tasks`).execute(db);
      await sql.raw(`DROP FUNCTION IF EXISTS errand_task_dependencies_${op}()`).execute(db);
    }
    await sql`DROP TABLE IF EXISTS errand_task_dependencies`.execute(db);
    await sql`ALTER TABLE errand_tasks
      DROP CONSTRAINT IF EXISTS errand_tasks_waiting_on_range,
      DROP CONSTRAINT IF EXISTS errand_tasks_depends_on_size,
      DROP COLUMN IF EXISTS waiting_on,
      DROP COLUMN IF EXISTS depends_on`.execute(db);
  },
};
