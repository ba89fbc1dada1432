import type { Executor } from "./executor";

/** The names of the paused queues (a worker's poll, for a pause whose NOTIFY it missed). */
export async function queuePausedNames(db: Executor): Promise<string[]> {
  const rows = await db.selectFrom("errand_queues").select("name").where("paused", "=", true).orderBy("name").execute();
  return rows.map((r) => r.name);
}
