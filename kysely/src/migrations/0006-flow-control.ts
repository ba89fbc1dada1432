import { sql, type Kysely, type Migration } from "kysely";

/**
 * Flow control: pausing queues, per-key concurrency and the bookkeeping of rate limits.
 *
 * - `errand_queues`: one row per queue that was ever paused (or resumed). Pause state lives
 *   in the database, so it survives worker and database restarts and holds for workers that
 *   start later. A claim reads the paused names once per statement (an InitPlan over this
 *   small table), and `pauseQueue` NOTIFYs `errand_queues` so that workers give back what
 *   they claimed ahead within a second.
 * - `concurrency_key`, `concurrency_limit` on the task row: computed at enqueue from the
 *   task's `concurrencyKey(...args)`; at most `concurrency_limit` RUNNING tasks per key. Both
 *   NULL for a task without a key. Two partial indexes make the keyed part of a claim cost
 *   nothing while no keyed task exists: due keyed tasks in claim order, running keyed tasks
 *   by key.
 * - `errand_queue_starts`: the starts of rate-limited queues, one row per claim (queue,
 *   when, how many), read as a sliding window and trimmed by the claim itself.
 *
 * Typed `Kysely<any>` on purpose: a migration is frozen in time.
 */
export const flowControl: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>) {
    await sql`
      CREATE TABLE errand_queues (
        name varchar(32) PRIMARY KEY,
        paused boolean NOT NULL DEFAULT false,
        paused_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT errand_queues_paused_iff_paused_at CHECK (paused = (paused_at IS NOT NULL))
      )`.execute(db);

    await sql`ALTER TABLE errand_tasks ADD COLUMN concurrency_key text, ADD COLUMN concurrency_limit integer`.execute(
      db,
    );
    await sql`ALTER TABLE errand_tasks ADD CONSTRAINT errand_tasks_concurrency_key_valid
      CHECK ((concurrency_key IS NULL) = (concurrency_limit IS NULL)
        AND (concurrency_key IS NULL OR char_length(concurrency_key) BETWEEN 1 AND 255)
        AND (concurrency_limit IS NULL OR concurrency_limit >= 1))`.execute(db);
    await sql`CREATE INDEX errand_tasks_keyed_pending_idx ON errand_tasks (priority DESC, run_after, seq)
      WHERE status = 'PENDING' AND concurrency_key IS NOT NULL`.execute(db);
    await sql`CREATE INDEX errand_tasks_keyed_running_idx ON errand_tasks (concurrency_key)
      WHERE status = 'RUNNING' AND concurrency_key IS NOT NULL`.execute(db);

    await sql`
      CREATE TABLE errand_queue_starts (
        queue_name varchar(32) NOT NULL,
        started_at timestamptz NOT NULL,
        count integer NOT NULL CONSTRAINT errand_queue_starts_count_positive CHECK (count > 0)
      )`.execute(db);
    await sql`CREATE INDEX errand_queue_starts_idx ON errand_queue_starts (queue_name, started_at)`.execute(db);
  },

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async down(db: Kysely<any>) {
    await sql`DROP TABLE IF EXISTS errand_queue_starts`.execute(db);
    await sql`DROP INDEX IF EXISTS errand_tasks_keyed_running_idx`.execute(db);
    await sql`DROP INDEX IF EXISTS errand_tasks_keyed_pending_idx`.execute(db);
    await sql`ALTER TABLE errand_tasks DROP CONSTRAINT IF EXISTS errand_tasks_concurrency_key_valid`.execute(db);
    await sql`ALTER TABLE errand_tasks DROP COLUMN IF EXISTS concurrency_key, DROP COLUMN IF EXISTS concurrency_limit`.execute(
      db,
    );
    await sql`DROP TABLE IF EXISTS errand_queues`.execute(db);
  },
};
