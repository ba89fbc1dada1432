import { sql, type Kysely, type Migration } from "kysely";

/**
 * The task table: one row per enqueued task, for its whole life. Retries, repeats and
 * lease recovery all move the same row between statuses, so a result id never changes.
 *
 * Typed `Kysely<any>` on purpose: a migration is frozen in time and must not follow later
 * changes to the `Database` types.
 */
export const createTasks: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>) {
    await db.schema
      .createTable("errand_tasks")
      .addColumn("id", "uuid", (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
      // Enqueue order, used to break ties between tasks due at the same time and for
      // newest-first listing; uuids carry no order.
      .addColumn("seq", "bigint", (c) => c.notNull().generatedAlwaysAsIdentity())
      .addColumn("task_name", "text", (c) => c.notNull())
      .addColumn("queue_name", "varchar(32)", (c) => c.notNull().defaultTo("default"))
      .addColumn("backend", "varchar(32)", (c) => c.notNull().defaultTo("default"))
      .addColumn("priority", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("args", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
      .addColumn("status", "text", (c) => c.notNull().defaultTo("PENDING"))
      // Never NULL: a task enqueued without a delay is due at its enqueue time, so "due"
      // is one range condition and the claim order is one index order.
      .addColumn("run_after", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
      // When the task was first due; a repeating task's next run is counted from it, so
      // retries (which move run_after) do not make the schedule drift.
      .addColumn("scheduled_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn("enqueued_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn("started_at", "timestamptz")
      .addColumn("last_attempted_at", "timestamptz")
      .addColumn("finished_at", "timestamptz")
      .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("max_attempts", "integer", (c) => c.notNull().defaultTo(25))
      .addColumn("worker_ids", sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
      .addColumn("return_value", "jsonb")
      .addColumn("errors", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
      .addColumn("locked_by", "text")
      .addColumn("locked_until", "timestamptz")
      .addColumn("repeat_seconds", "integer")
      .addColumn("repeat_until", "timestamptz")
      .addColumn("verbose_name", "text")
      .addColumn("creator_type", "text")
      .addColumn("creator_id", "text")
      .addColumn("progress_done", "double precision")
      .addColumn("progress_total", "double precision")
      .addCheckConstraint("errand_tasks_status_valid", sql`status IN ('PENDING', 'RUNNING', 'SUCCESSFUL', 'FAILED')`)
      .addCheckConstraint("errand_tasks_priority_range", sql`priority BETWEEN -100 AND 100`)
      .addCheckConstraint("errand_tasks_task_name_length", sql`char_length(task_name) BETWEEN 1 AND 255`)
      .addCheckConstraint("errand_tasks_queue_name_length", sql`char_length(queue_name) >= 1`)
      .addCheckConstraint("errand_tasks_args_array", sql`jsonb_typeof(args) = 'array'`)
      .addCheckConstraint("errand_tasks_errors_array", sql`jsonb_typeof(errors) = 'array'`)
      .addCheckConstraint("errand_tasks_attempts_counted", sql`attempts = cardinality(worker_ids)`)
      .addCheckConstraint("errand_tasks_max_attempts_positive", sql`max_attempts >= 1`)
      .addCheckConstraint(
        "errand_tasks_finished_iff_finished_at",
        sql`(status IN ('SUCCESSFUL', 'FAILED')) = (finished_at IS NOT NULL)`,
      )
      .addCheckConstraint(
        "errand_tasks_running_iff_locked",
        sql`(status = 'RUNNING') = (locked_until IS NOT NULL AND locked_by IS NOT NULL)`,
      )
      .addCheckConstraint(
        "errand_tasks_started_once_attempted",
        sql`(attempts = 0) = (started_at IS NULL AND last_attempted_at IS NULL)`,
      )
      .addCheckConstraint(
        "errand_tasks_return_value_only_successful",
        sql`return_value IS NULL OR status = 'SUCCESSFUL'`,
      )
      .addCheckConstraint("errand_tasks_repeat_positive", sql`repeat_seconds IS NULL OR repeat_seconds > 0`)
      .addCheckConstraint("errand_tasks_creator_complete", sql`(creator_type IS NULL) = (creator_id IS NULL)`)
      .addCheckConstraint(
        "errand_tasks_progress_valid",
        sql`(progress_done IS NULL OR progress_done >= 0) AND (progress_total IS NULL OR (progress_done IS NOT NULL AND progress_total >= 0))`,
      )
      .execute();

    // The claim: "the next due PENDING tasks, by priority then run_after then enqueue
    // order". One index for a worker on every queue ("*") and one led by the queue name
    // for workers of named queues; both partial, so finished rows cost them nothing.
    await sql`CREATE INDEX errand_tasks_pending_idx ON errand_tasks (priority DESC, run_after, seq) WHERE status = 'PENDING'`.execute(
      db,
    );
    await sql`CREATE INDEX errand_tasks_pending_queue_idx ON errand_tasks (queue_name, priority DESC, run_after, seq) WHERE status = 'PENDING'`.execute(
      db,
    );
    // Lease recovery scans only the running rows.
    await sql`CREATE INDEX errand_tasks_running_lease_idx ON errand_tasks (locked_until) WHERE status = 'RUNNING'`.execute(
      db,
    );
    // Pruning, stats ("finished per minute") and newest-first listing.
    await sql`CREATE INDEX errand_tasks_finished_idx ON errand_tasks (finished_at) WHERE finished_at IS NOT NULL`.execute(
      db,
    );
    await sql`CREATE INDEX errand_tasks_seq_idx ON errand_tasks (seq)`.execute(db);

    // Wake workers without polling: one notification per INSERT statement and queue
    // (a bulk enqueue of 20,000 rows sends one), carrying the queue name.
    await sql`
      CREATE FUNCTION errand_tasks_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE q text;
      BEGIN
        FOR q IN SELECT DISTINCT queue_name FROM inserted_rows LOOP
          PERFORM pg_notify('errand_tasks', q);
        END LOOP;
        RETURN NULL;
      END
      $$`.execute(db);
    await sql`
      CREATE TRIGGER errand_tasks_notify_insert
      AFTER INSERT ON errand_tasks
      REFERENCING NEW TABLE AS inserted_rows
      FOR EACH STATEMENT EXECUTE FUNCTION errand_tasks_notify()`.execute(db);
  },

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async down(db: Kysely<any>) {
    await db.schema.dropTable("errand_tasks").execute();
    await sql`DROP FUNCTION IF EXISTS errand_tasks_notify()`.execute(db);
  },
};
