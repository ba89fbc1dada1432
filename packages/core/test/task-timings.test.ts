import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { PostgresTaskStore, queries } from "@errand/core/internal";
import { createTestDatabase, insertTasks, type TestDatabase } from "@errand/core/testing";
import { percentilesOf, timingBucket } from "../src/store/timing-buckets";

// The lag and duration histograms the statements that finish tasks keep (migrations 0008 and
// 0009), read back as the dashboard's per-queue percentiles.
let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(() => tdb?.drop());
beforeEach(async () => {
  await sql`TRUNCATE errand_tasks, errand_task_timings`.execute(tdb.db);
});

describe("timing buckets", () => {
  it("put a sample within ±9 % of itself and read percentiles by rank", () => {
    for (const ms of [1.5, 7, 120, 999, 45_000, 3_600_000]) {
      const h = new Map([[timingBucket(ms), 1]]);
      const p = percentilesOf(h)!;
      expect(Math.abs(p.p50 - ms) / ms).toBeLessThan(0.09);
    }
    const h = new Map<number, number>();
    for (let i = 1; i <= 100; i++) h.set(timingBucket(i * 10), (h.get(timingBucket(i * 10)) ?? 0) + 1);
    const p = percentilesOf(h)!;
    expect(p.count).toBe(100);
    expect(p.p50).toBeGreaterThan(500 * 0.91);
    expect(p.p50).toBeLessThan(500 * 1.09);
    expect(p.p95).toBeGreaterThan(950 * 0.91);
    expect(p.p95).toBeLessThan(950 * 1.09);
    expect(percentilesOf(new Map())).toBeNull();
  });
});

describe("per-queue lag and duration", () => {
  it("are sampled by the statements that finish tasks (lag: due → start, duration: start → finished), not by claims, renewals or retries", async () => {
    // Due 2 s ago on "email", 60 s ago on "bulk".
    await insertTasks(tdb.db, [
      ...Array.from({ length: 10 }, () => ({ queue_name: "email", run_after: new Date(Date.now() - 2_000) })),
      ...Array.from({ length: 4 }, () => ({ queue_name: "bulk", run_after: new Date(Date.now() - 60_000) })),
    ]);
    const store = new PostgresTaskStore(tdb.db);
    const claimed = await store.taskClaimBatch({ queues: "*", limit: 100, workerId: "w", leaseSeconds: 30 });
    expect(claimed).toHaveLength(14);
    await queries.taskRenewLease(tdb.db, { ids: claimed.map((t) => t.id), workerId: "w", leaseSeconds: 30 });
    const failure = {
      exceptionClass: "E",
      message: "m",
      traceback: "t",
      attempt: 1,
      failedAt: new Date().toISOString(),
    };
    // A failure that is retried finishes nothing.
    const retried = claimed.find((t) => t.queueName === "email")!;
    await store.taskFail({
      workerId: "w",
      failures: [{ id: retried.id, error: failure, retryDelay: 0 }],
    });
    expect((await store.taskStats()).timings).toEqual([]);
    const again = await store.taskClaimBatch({ queues: "*", limit: 1, workerId: "w", leaseSeconds: 30 });
    expect(again.map((t) => t.id)).toEqual([retried.id]);
    const started = new Date(Date.now() - 250);
    await store.taskComplete({
      workerId: "w",
      results: claimed.filter((t) => t !== retried).map((t) => ({ id: t.id, returnValue: "null", startedAt: started })),
    });
    // The retried task fails for good: its last attempt is sampled.
    await store.taskFail({
      workerId: "w",
      failures: [
        {
          id: retried.id,
          error: failure,
          retryDelay: null,
          startedAt: started,
        },
      ],
    });

    const { timings } = await store.taskStats();
    expect(timings!.map((t) => [t.queueName, t.lag?.count, t.duration?.count])).toEqual([
      ["bulk", 4, 4],
      ["email", 10, 10],
    ]);
    const email = timings!.find((t) => t.queueName === "email")!;
    expect(email.lag!.p50).toBeGreaterThan(2_000 * 0.9);
    expect(email.lag!.p50).toBeLessThan(10_000);
    expect(email.duration!.p95).toBeGreaterThan(250 * 0.9);
    expect(email.duration!.p95).toBeLessThan(10_000);
    expect(timings!.find((t) => t.queueName === "bulk")!.lag!.p50).toBeGreaterThan(60_000 * 0.9);
  });

  it("drop minutes older than an hour from the read and older than two hours on compaction", async () => {
    await sql`INSERT INTO errand_task_timings (queue_name, minute, kind, bucket, count) VALUES
      ('old', now() - interval '3 hours', 'lag', 10, 5),
      ('old', now() - interval '90 minutes', 'lag', 10, 5),
      ('new', date_trunc('minute', now()), 'duration', 20, 2),
      ('new', date_trunc('minute', now()), 'duration', 20, 3)`.execute(tdb.db);
    const { timings } = await new PostgresTaskStore(tdb.db).taskStats();
    expect(timings!.map((t) => [t.queueName, t.lag, t.duration?.count])).toEqual([["new", null, 5]]);
    await sql`SELECT errand_task_timings_compact()`.execute(tdb.db);
    const { rows } = await sql<{ queue_name: string; count: string }>`
      SELECT queue_name, count FROM errand_task_timings ORDER BY 1`.execute(tdb.db);
    expect(rows).toEqual([
      { queue_name: "new", count: "5" },
      { queue_name: "old", count: "5" },
    ]);
  });
});
