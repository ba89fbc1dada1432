import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import {
  MAX_BACKEND_ALIAS_LENGTH,
  MAX_PRIORITY,
  MAX_QUEUE_NAME_LENGTH,
  MAX_TASK_NAME_LENGTH,
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

  it("list every column of the table, in table order", async () => {
    const { rows } = await sql<{ column_name: string }>`
      SELECT column_name FROM information_schema.columns
      WHERE table_name = 'errand_tasks' ORDER BY ordinal_position`.execute(tdb.db);
    expect(rows.map((r) => r.column_name)).toEqual([...TASK_COLUMNS]);
  });
});
