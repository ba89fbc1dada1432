import { sql, type Kysely, type Migration } from "kysely";

/**
 * Schedules, unique keys, cancelling running tasks and retention.
 *
 * - `unique_key`: while a task with a key is PENDING or RUNNING, no other task with that key
 *   can be stored. The partial unique index is what enforces it, so concurrent enqueuers
 *   need no check-then-insert: `INSERT … ON CONFLICT DO NOTHING` and the loser reads the
 *   winner's row.
 * - `cancel_requested_at`: a cancel of a RUNNING task is recorded here (and announced on
 *   the `errand_cancel` channel); the worker holding the task aborts it, and no completion
 *   of it is stored as SUCCESSFUL nor retried.
 * - `errand_schedule_ticks`: one row per tick of a cron schedule that was enqueued. Its
 *   primary key (schedule, tick time) is what makes a tick enqueue exactly one task however
 *   many workers see it: the worker whose insert takes the row enqueues, in the same
 *   transaction; the others' inserts conflict and do nothing.
 * - `errand_maintenance`: what the workers' periodic jobs did last (retention's counts), one
 *   row per job, for `errand status`.
 *
 * Typed `Kysely<any>`: a migration is frozen in time.
 */
export const schedulesUniqueKeysCancelRetention: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>) {
    await db.schema
      .alterTable("errand_tasks")
      .addColumn("unique_key", "text")
      .addColumn("cancel_requested_at", "timestamptz")
      .execute();
    await db.schema
      .alterTable("errand_tasks")
      .addCheckConstraint(
        "errand_tasks_unique_key_length",
        sql`unique_key IS NULL OR char_length(unique_key) BETWEEN 1 AND 255`,
      )
      .execute();
    await db.schema
      .alterTable("errand_tasks")
      .addCheckConstraint("errand_tasks_cancel_only_running", sql`cancel_requested_at IS NULL OR status <> 'PENDING'`)
      .execute();
    await db.schema
      .createTable("errand_maintenance")
      .addColumn("name", "text", (c) => c.primaryKey())
      .addColumn("ran_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn("worker_id", "text", (c) => c.notNull())
      .addColumn("details", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
      .execute();
    await db.schema
      .createTable("errand_schedule_ticks")
      .addColumn("schedule_name", "text", (c) => c.notNull())
      .addColumn("tick_at", "timestamptz", (c) => c.notNull())
      .addColumn("task_id", "uuid")
      .addColumn("enqueued_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
      .addPrimaryKeyConstraint("errand_schedule_ticks_pkey", ["schedule_name", "tick_at"])
      .execute();
    await sql`CREATE UNIQUE INDEX errand_tasks_unique_key_idx ON errand_tasks (unique_key)
      WHERE unique_key IS NOT NULL AND status IN ('PENDING', 'RUNNING')`.execute(db);
  },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async down(db: Kysely<any>) {
    await db.schema.dropTable("errand_maintenance").ifExists().execute();
    await db.schema.dropTable("errand_schedule_ticks").ifExists().execute();
    // Dropping the columns drops their index and CHECK constraints.
    await db.schema.alterTable("errand_tasks").dropColumn("unique_key").dropColumn("cancel_requested_at").execute();
  },
};
