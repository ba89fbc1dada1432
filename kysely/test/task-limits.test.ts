import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { randomUUID } from "node:crypto";
import {
  MAX_BACKEND_ALIAS_LENGTH,
  MAX_CONCURRENCY_KEY_LENGTH,
  MAX_DEPENDENCIES,
  MAX_PRIORITY,
  MAX_QUEUE_NAME_LENGTH,
  MAX_TASK_NAME_LENGTH,
  MAX_UNIQUE_KEY_LENGTH,
  MAX_WORKER_ID_LENGTH,
  MIN_PRIORITY,
  TASK_COLUMNS,
  type NewTaskRow,
} from "@errand/db";
import { createTestDatabase, type TestDatabase } from "@errand/db/testing";

// The migrations keep their own literals (they are frozen in time); the limits core and the
// packages validate with must be the ones the database enforces.
let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(() => tdb?.drop());

async function accepts(row: Partial<NewTaskRow>): Promise<boolean> {
  try {
    await tdb.db
      .insertInto("errand_tasks")
      .values({ task_name: "limits.t", ...row })
      .execute();
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === "23514" || (error as { code?: string }).code === "22001") return false;
    throw error;
  }
}

describe("task limits", () => {
  it("match the database's priority range", async () => {
    expect(await accepts({ priority: MIN_PRIORITY })).toBe(true);
    expect(await accepts({ priority: MAX_PRIORITY })).toBe(true);
    expect(await accepts({ priority: MIN_PRIORITY - 1 })).toBe(false);
    expect(await accepts({ priority: MAX_PRIORITY + 1 })).toBe(false);
  });

  it("match the database's name lengths", async () => {
    expect(await accepts({ queue_name: "q".repeat(MAX_QUEUE_NAME_LENGTH) })).toBe(true);
    expect(await accepts({ queue_name: "q".repeat(MAX_QUEUE_NAME_LENGTH + 1) })).toBe(false);
    expect(await accepts({ backend: "b".repeat(MAX_BACKEND_ALIAS_LENGTH) })).toBe(true);
    expect(await accepts({ backend: "b".repeat(MAX_BACKEND_ALIAS_LENGTH + 1) })).toBe(false);
    expect(await accepts({ task_name: "t".repeat(MAX_TASK_NAME_LENGTH) })).toBe(true);
    expect(await accepts({ task_name: "t".repeat(MAX_TASK_NAME_LENGTH + 1) })).toBe(false);
  });

  it("match the database's unique and concurrency key lengths and dependency count", async () => {
    expect(await accepts({ unique_key: "u".repeat(MAX_UNIQUE_KEY_LENGTH) })).toBe(true);
    expect(await accepts({ unique_key: "v".repeat(MAX_UNIQUE_KEY_LENGTH + 1) })).toBe(false);
    const keyed = (key: string) => ({ concurrency_key: key, concurrency_limit: 1 });
    expect(await accepts(keyed("c".repeat(MAX_CONCURRENCY_KEY_LENGTH)))).toBe(true);
    expect(await accepts(keyed("c".repeat(MAX_CONCURRENCY_KEY_LENGTH + 1)))).toBe(false);
    const ids = (n: number) => Array.from({ length: n }, () => randomUUID());
    expect(await accepts({ depends_on: ids(MAX_DEPENDENCIES) })).toBe(true);
    expect(await accepts({ depends_on: ids(MAX_DEPENDENCIES + 1) })).toBe(false);
  });

  // The database sets no length of its own on worker ids (the worker refuses longer ones): it
  // must store the longest the worker allows, whole, in both columns a claim writes.
  it("store a worker id of the longest length the worker allows, whole", async () => {
    const workerId = "w".repeat(MAX_WORKER_ID_LENGTH);
    const now = new Date();
    const running: Partial<NewTaskRow> = {
      status: "RUNNING",
      attempts: 1,
      worker_ids: [workerId],
      locked_by: workerId,
      locked_until: new Date(now.getTime() + 60_000),
      started_at: now,
      last_attempted_at: now,
    };
    const stored = await tdb.db
      .insertInto("errand_tasks")
      .values({ task_name: "limits.t", ...running })
      .returning(["locked_by", "worker_ids"])
      .executeTakeFirstOrThrow();
    expect(stored).toEqual({ locked_by: workerId, worker_ids: [workerId] });
  });

  it("list every column of the table, in table order", async () => {
    const { rows } = await sql<{ column_name: string }>`
      SELECT column_name FROM information_schema.columns
      WHERE table_name = 'errand_tasks' ORDER BY ordinal_position`.execute(tdb.db);
    expect(rows.map((r) => r.column_name)).toEqual([...TASK_COLUMNS]);
  });
});
