import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { PostgresTaskStore, queries } from "@errand/core/internal";
import { createTestDatabase, insertTaskInEveryState, insertTasks, type TestDatabase } from "@errand/core/testing";

// The counters kept by the task table's triggers (migration 0004) against a count(*) of the
// table, after every kind of statement that moves a task between statuses.
let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(() => tdb?.drop());
beforeEach(async () => {
  await sql`TRUNCATE errand_tasks`.execute(tdb.db);
});

async function counted() {
  const { rows: counts } = await sql<{ queue_name: string; status: string; count: number }>`
    SELECT queue_name, status, count(*)::int AS count FROM errand_tasks GROUP BY 1, 2 ORDER BY 1, 2`.execute(tdb.db);
  const { rows: throughput } = await sql<{ minute: Date; successful: number; failed: number }>`
    SELECT date_trunc('minute', finished_at) AS minute,
      count(*) FILTER (WHERE status = 'SUCCESSFUL')::int AS successful,
      count(*) FILTER (WHERE status = 'FAILED')::int AS failed
    FROM errand_tasks WHERE finished_at > now() - interval '1 hour' GROUP BY 1 ORDER BY 1`.execute(tdb.db);
  const { rows: oldest } = await sql<{ oldest: Date | null }>`
    SELECT min(run_after) AS oldest FROM errand_tasks WHERE status = 'PENDING' AND run_after <= now()`.execute(tdb.db);
  return { counts, throughput, oldestDueAt: oldest[0]!.oldest };
}

async function expectCountersMatchTable() {
  expect(await queries.taskStats(tdb.db)).toEqual(await counted());
}

describe("task counters", () => {
  it("follow inserts, claims, completions, failures, retries, cancels, renewals and prunes", async () => {
    await insertTaskInEveryState(tdb.db);
    await insertTaskInEveryState(tdb.db, { queue_name: "email" });
    await insertTasks(
      tdb.db,
      Array.from({ length: 30 }, (_, i) => ({ queue_name: i % 3 === 0 ? "bulk" : "default", run_after: new Date(0) })),
    );
    await expectCountersMatchTable();

    const claimed = await queries.taskClaimBatch(tdb.db, { queues: "*", limit: 20, workerId: "w1", leaseSeconds: 30 });
    await expectCountersMatchTable();
    await queries.taskRenewLease(tdb.db, { workerId: "w1", ids: claimed.map((t) => t.id), leaseSeconds: 60 });
    await queries.taskComplete(tdb.db, {
      workerId: "w1",
      results: claimed.slice(0, 12).map((t) => ({ id: t.id, returnValue: "1" })),
    });
    await expectCountersMatchTable();
    const failures = claimed.slice(12).map((t, i) => ({
      id: t.id,
      error: { exceptionClass: "E", message: "m", traceback: "t", attempt: 1, failedAt: new Date().toISOString() },
      retryDelay: i % 2 === 0 ? null : 5,
    }));
    await queries.taskFail(tdb.db, { workerId: "w1", failures });
    await expectCountersMatchTable();

    const failed = await tdb.db.selectFrom("errand_tasks").select("id").where("status", "=", "FAILED").execute();
    await queries.taskRetry(tdb.db, { id: failed[0]!.id });
    const pending = await tdb.db.selectFrom("errand_tasks").select("id").where("status", "=", "PENDING").execute();
    await queries.taskCancel(tdb.db, { id: pending[0]!.id });
    await queries.taskRescueExpired(tdb.db, {});
    await expectCountersMatchTable();

    await queries.taskPrune(tdb.db, { age: 0, statuses: ["SUCCESSFUL", "FAILED"] });
    await expectCountersMatchTable();
  });

  it("fold into one row per key when compacted, and start again from zero after TRUNCATE", async () => {
    for (let i = 0; i < 5; i++) await insertTasks(tdb.db, [{}, { queue_name: "email" }]);
    await sql`SELECT errand_task_counts_compact()`.execute(tdb.db);
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM errand_task_counts`.execute(tdb.db);
    expect(rows[0]!.n).toBe(2);
    await expectCountersMatchTable();
    await sql`TRUNCATE errand_tasks`.execute(tdb.db);
    expect((await queries.taskStats(tdb.db)).counts).toEqual([]);
  });

  it("are only read by stats, even with thousands of rows to fold (a read-only replica serves them)", async () => {
    await insertTasks(
      tdb.db,
      Array.from({ length: 20 }, () => ({})),
    );
    // As a busy queue leaves them between compactions (zeros, so the sums stay true).
    await sql`INSERT INTO errand_task_counts (queue_name, status, count)
      SELECT 'default', 'PENDING', 0 FROM generate_series(1, 1500)`.execute(tdb.db);
    const rowsOf = async () =>
      (await sql<{ n: number }>`SELECT count(*)::int AS n FROM errand_task_counts`.execute(tdb.db)).rows[0]!.n;
    const before = await rowsOf();
    expect(before).toBeGreaterThan(1000);
    const stats = await tdb.db.transaction().execute(async (trx) => {
      await sql`SET TRANSACTION READ ONLY`.execute(trx);
      return new PostgresTaskStore(trx).taskStats();
    });
    expect(stats.byStatus.PENDING).toBe(20);
    expect(await rowsOf()).toBe(before);
    // The worker's compaction folds them.
    await new PostgresTaskStore(tdb.db).taskCountsCompact();
    expect(await rowsOf()).toBe(1);
    await expectCountersMatchTable();
  });
});
