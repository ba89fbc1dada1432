import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { CLAIM_ORDER_COLUMNS, claimOrderBy, compareClaimOrder } from "@errand/core/internal";
import { createTestDatabase, insertTasks, type TestDatabase } from "@errand/core/testing";

// The claim order has one home (store/claim-order.ts) in two forms, SQL and TS; the pending
// indexes of the migrations hold it as a literal, so that a claim reads them in order.
let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(() => tdb?.drop());

describe("the claim order", () => {
  it("is the order the pending indexes are built in", async () => {
    const { rows } = await sql<{ indexname: string; indexdef: string }>`
      SELECT indexname, indexdef FROM pg_indexes
      WHERE tablename = 'errand_tasks' AND indexname LIKE '%pending%' ORDER BY indexname`.execute(tdb.db);
    expect(rows.map((r) => r.indexname)).toEqual([
      "errand_tasks_keyed_pending_idx",
      "errand_tasks_pending_idx",
      "errand_tasks_pending_queue_idx",
    ]);
    for (const { indexdef } of rows) expect(indexdef).toContain(`${CLAIM_ORDER_COLUMNS.join(", ")})`);
  });

  it("sorts alike in SQL and in TS, ties included", async () => {
    const base = Date.parse("2026-01-01T00:00:00Z");
    const spec = [0, 5, -3, 5, 0, 100, -100, 5, 0, 0].map((priority, i) => ({
      priority,
      run_after: new Date(base + (i % 3) * 1000),
      task_name: `order.${i}`,
    }));
    const inserted = await insertTasks(tdb.db, spec);
    const { rows } = await sql<{ task_name: string }>`
      SELECT task_name FROM errand_tasks WHERE task_name LIKE 'order.%' ORDER BY ${claimOrderBy()}`.execute(tdb.db);
    const inTs = inserted
      .map((r) => ({ priority: r.priority, runAfter: r.run_after, seq: r.seq, name: r.task_name }))
      .sort(compareClaimOrder)
      .map((r) => r.name);
    expect(rows.map((r) => r.task_name)).toEqual(inTs);
    expect(inTs[0]).toBe("order.5");
    expect(inTs.at(-1)).toBe("order.6");
  });
});
