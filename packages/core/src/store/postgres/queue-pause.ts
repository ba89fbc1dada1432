import { sql } from "kysely";
import { QUEUES_CHANNEL } from "@errand/db";
import type { Executor } from "./executor";

/**
 * Pauses (`paused: true`) or resumes a queue: upserts its `errand_queues` row and NOTIFYs
 * `errand_queues` with the name in the same statement (delivered at commit), so that every
 * worker gives back what it claimed ahead of that queue within a second. The claim reads the
 * row itself, so a worker that missed the notification still claims nothing of a paused
 * queue. Idempotent.
 */
export async function queuePause(db: Executor, params: { name: string; paused: boolean }): Promise<void> {
  await sql`
    WITH upserted AS (
      INSERT INTO errand_queues (name, paused, paused_at, updated_at)
      VALUES (${params.name}, ${params.paused}, CASE WHEN ${params.paused} THEN now() END, now())
      ON CONFLICT (name) DO UPDATE SET
        paused = excluded.paused,
        paused_at = CASE WHEN excluded.paused THEN coalesce(errand_queues.paused_at, now()) END,
        updated_at = now()
      RETURNING name
    )
    SELECT pg_notify(${QUEUES_CHANNEL}, name) FROM upserted`.execute(db);
}
