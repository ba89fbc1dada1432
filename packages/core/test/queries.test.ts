import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { claimOrderBy, queries } from "@errand/core/internal";
import { createTestDatabase, insertTaskInEveryState, insertTasks, type TestDatabase } from "@errand/core/testing";
import type { NewTaskRow, TaskStatus } from "@errand/db";

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(() => tdb?.drop());
beforeEach(async () => {
  await tdb.db.deleteFrom("errand_tasks").execute();
});

function row(overrides: Partial<NewTaskRow> = {}): Partial<NewTaskRow> {
  return { task_name: "t.noop", args: "[]", ...overrides };
}

/** A `taskInsert` row with every column at its enqueue default. */
function insertRow(overrides: Partial<queries.TaskInsertRow> = {}): queries.TaskInsertRow {
  return {
    task_name: "t.noop",
    queue_name: "default",
    backend: "default",
    priority: 0,
    args: "[]",
    run_after: null,
    max_attempts: 25,
    repeat_seconds: null,
    repeat_until: null,
    verbose_name: null,
    creator_type: null,
    creator_id: null,
    unique_key: null,
    concurrency_key: null,
    concurrency_limit: null,
    depends_on: null,
    waiting_on: 0,
    traceparent: null,
    tracestate: null,
    ...overrides,
  };
}

const error = (attempt: number) => ({
  exceptionClass: "Error",
  message: "boom",
  traceback: "Error: boom\n    at here",
  attempt,
  failedAt: new Date().toISOString(),
});

describe("taskClaimBatch", () => {
  it("claims due PENDING tasks by priority, then run_after, then enqueue order", async () => {
    const past = (s: number) => new Date(Date.now() - s * 1000);
    const inserted = await insertTasks(tdb.db, [
      row({ args: '["low"]', priority: -5, run_after: past(100) }),
      row({ args: '["high-late"]', priority: 10, run_after: past(1) }),
      row({ args: '["high-early"]', priority: 10, run_after: past(50) }),
      row({ args: '["mid-1"]', priority: 0 }),
      row({ args: '["mid-2"]', priority: 0 }),
      row({ args: '["future"]', priority: 100, run_after: new Date(Date.now() + 60_000) }),
    ]);
    // Rows inserted in one statement share enqueued_at; fix run_after of mid-* to be equal.
    await sql`UPDATE errand_tasks SET run_after = ${past(10)} WHERE args->>0 LIKE 'mid-%'`.execute(tdb.db);
    expect(inserted).toHaveLength(6);
    const claimed = await queries.taskClaimBatch(tdb.db, { queues: "*", limit: 10, workerId: "w1", leaseSeconds: 30 });
    expect(claimed.map((r) => r.args[0])).toEqual(["high-early", "high-late", "mid-1", "mid-2", "low"]);
    for (const r of claimed) {
      expect(r.status).toBe("RUNNING");
      expect(r.attempts).toBe(1);
      expect(r.worker_ids).toEqual(["w1"]);
      expect(r.locked_by).toBe("w1");
      expect(r.started_at).toBeInstanceOf(Date);
      expect(r.locked_until!.getTime()).toBeGreaterThan(Date.now() + 20_000);
    }
  });

  it("returns each claimed row exactly as stored, though it sends the columns it can tell as NULL", async () => {
    const states = await insertTaskInEveryState(tdb.db);
    const past = new Date(Date.now() - 60_000);
    await insertTasks(tdb.db, [
      // Delayed: due later than enqueued. Repeating: its schedule slot differs from run_after.
      row({ task_name: "fixture.delayed", enqueued_at: new Date(past.getTime() - 5_000), run_after: past }),
      row({ task_name: "fixture.repeating", run_after: past, scheduled_at: new Date(past.getTime() - 3_600_000) }),
      row({ task_name: "fixture.withProgress", progress_done: 3, progress_total: 9, verbose_name: "Nine steps" }),
    ]);
    const claimed = await queries.taskClaimBatch(tdb.db, { queues: "*", limit: 10, workerId: "w9", leaseSeconds: 45 });
    expect(claimed.map((r) => r.task_name).sort()).toEqual([
      "fixture.delayed",
      "fixture.pendingDue",
      "fixture.pendingRetrying",
      "fixture.repeating",
      "fixture.withProgress",
    ]);
    const stored = await tdb.db
      .selectFrom("errand_tasks")
      .selectAll()
      .where(
        "id",
        "in",
        claimed.map((r) => r.id),
      )
      .execute();
    const byId = new Map(stored.map((r) => [r.id, r]));
    for (const r of claimed) expect(r).toEqual(byId.get(r.id));
    const retried = claimed.find((r) => r.id === states.pendingRetrying.id)!;
    expect([retried.attempts, retried.worker_ids, retried.errors.length]).toEqual([2, ["worker-a", "w9"], 1]);
  });

  it("commits the claim asynchronously without changing the connection's setting", async () => {
    await insertTasks(tdb.db, [row()]);
    await tdb.db.connection().execute(async (conn) => {
      const claimed = await queries.taskClaimBatch(conn, { queues: "*", limit: 1, workerId: "w", leaseSeconds: 30 });
      expect(claimed).toHaveLength(1);
      const setting = await sql<{ synchronous_commit: string }>`SHOW synchronous_commit`.execute(conn);
      expect(setting.rows[0]!.synchronous_commit).toBe("on");
    });
    // Committed all the same: another connection sees it RUNNING.
    const other = await tdb.db.selectFrom("errand_tasks").select("status").execute();
    expect(other.map((r) => r.status)).toEqual(["RUNNING"]);
  });

  it("respects the limit and the queue filter", async () => {
    await insertTasks(tdb.db, [
      row({ queue_name: "a" }),
      row({ queue_name: "a" }),
      row({ queue_name: "b" }),
      row({ queue_name: "c" }),
    ]);
    const one = await queries.taskClaimBatch(tdb.db, { queues: ["a"], limit: 1, workerId: "w", leaseSeconds: 30 });
    expect(one.map((r) => r.queue_name)).toEqual(["a"]);
    const allButC = await queries.taskClaimBatch(tdb.db, {
      queues: "*",
      excludeQueues: ["c"],
      limit: 10,
      workerId: "w",
      leaseSeconds: 30,
    });
    expect(allButC.map((r) => r.queue_name).sort()).toEqual(["a", "b"]);
    const c = await queries.taskClaimBatch(tdb.db, { queues: ["b", "c"], limit: 10, workerId: "w", leaseSeconds: 30 });
    expect(c.map((r) => r.queue_name)).toEqual(["c"]);
    const none = await queries.taskClaimBatch(tdb.db, { queues: ["zzz"], limit: 10, workerId: "w", leaseSeconds: 30 });
    expect(none).toEqual([]);
  });

  it("never hands one task to two concurrent claimers", async () => {
    await insertTasks(
      tdb.db,
      Array.from({ length: 300 }, () => row()),
    );
    const batches = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        queries.taskClaimBatch(tdb.db, { queues: "*", limit: 60, workerId: `w${i}`, leaseSeconds: 30 }),
      ),
    );
    const ids = batches.flat().map((r) => r.id);
    expect(ids).toHaveLength(300);
    expect(new Set(ids).size).toBe(300);
  });

  it("uses the partial pending index for the claim", async () => {
    await insertTasks(
      tdb.db,
      Array.from({ length: 2000 }, (_, i) => row({ priority: i % 7 })),
    );
    await sql`ANALYZE errand_tasks`.execute(tdb.db);
    const plan = await sql<{ "QUERY PLAN": string }>`
      EXPLAIN SELECT id FROM errand_tasks WHERE status = 'PENDING' AND run_after <= now()
      ORDER BY ${claimOrderBy()} LIMIT 50 FOR UPDATE SKIP LOCKED`.execute(tdb.db);
    expect(plan.rows.map((r) => r["QUERY PLAN"]).join("\n")).toContain("errand_tasks_pending_idx");
  });
});

describe("taskComplete / taskFail", () => {
  it("completes a batch and ignores tasks this worker no longer holds", async () => {
    await insertTasks(tdb.db, [row(), row()]);
    const [a, b] = await queries.taskClaimBatch(tdb.db, { queues: "*", limit: 2, workerId: "w1", leaseSeconds: 30 });
    const done = await queries.taskComplete(tdb.db, {
      workerId: "w1",
      results: [
        { id: a!.id, returnValue: '{"ok":true}' },
        { id: b!.id, returnValue: "null" },
      ],
    });
    expect(done).toHaveLength(2);
    const again = await queries.taskComplete(tdb.db, { workerId: "w1", results: [{ id: a!.id, returnValue: "1" }] });
    expect(again).toEqual([]);
    const fresh = await queries.taskGet(tdb.db, { id: a!.id });
    expect(fresh).toMatchObject({ status: "SUCCESSFUL", return_value: { ok: true }, locked_by: null });
    expect(fresh!.finished_at).toBeInstanceOf(Date);
    const other = await queries.taskComplete(tdb.db, { workerId: "w2", results: [{ id: b!.id, returnValue: "2" }] });
    expect(other).toEqual([]);
  });

  it("retries with the given delay while attempts remain, then fails for good", async () => {
    const [t] = await insertTasks(tdb.db, [row({ max_attempts: 2 })]);
    await queries.taskClaimBatch(tdb.db, { queues: "*", limit: 1, workerId: "w1", leaseSeconds: 30 });
    const [first] = await queries.taskFail(tdb.db, {
      workerId: "w1",
      failures: [{ id: t!.id, error: error(1), retryDelay: 600 }],
    });
    expect(first).toMatchObject({ status: "PENDING", attempts: 1, finished_at: null, locked_by: null });
    expect(first!.run_after.getTime()).toBeGreaterThan(Date.now() + 590_000);
    expect(first!.errors).toHaveLength(1);
    // Not due yet: nothing to claim.
    expect(await queries.taskClaimBatch(tdb.db, { queues: "*", limit: 1, workerId: "w2", leaseSeconds: 30 })).toEqual(
      [],
    );
    await sql`UPDATE errand_tasks SET run_after = now()`.execute(tdb.db);
    const [second] = await queries.taskClaimBatch(tdb.db, { queues: "*", limit: 1, workerId: "w2", leaseSeconds: 30 });
    expect(second).toMatchObject({ attempts: 2, worker_ids: ["w1", "w2"] });
    const [last] = await queries.taskFail(tdb.db, {
      workerId: "w2",
      failures: [{ id: t!.id, error: error(2), retryDelay: 1 }],
    });
    expect(last).toMatchObject({ status: "FAILED", attempts: 2 });
    expect(last!.errors.map((e) => e.attempt)).toEqual([1, 2]);
    expect(last!.finished_at).toBeInstanceOf(Date);
  });

  it("fails at once when no retry is asked for", async () => {
    const [t] = await insertTasks(tdb.db, [row()]);
    await queries.taskClaimBatch(tdb.db, { queues: "*", limit: 1, workerId: "w1", leaseSeconds: 30 });
    const [failed] = await queries.taskFail(tdb.db, {
      workerId: "w1",
      failures: [{ id: t!.id, error: error(1), retryDelay: null }],
    });
    expect(failed!.status).toBe("FAILED");
  });

  it("schedules the next run of a repeating task from its original time, skipping missed slots", async () => {
    const scheduled = new Date(Date.now() - 250_000);
    const [t] = await insertTasks(tdb.db, [
      row({ repeat_seconds: 100, run_after: scheduled, scheduled_at: scheduled, args: '["r"]' }),
    ]);
    await queries.taskClaimBatch(tdb.db, { queues: "*", limit: 1, workerId: "w1", leaseSeconds: 30 });
    await queries.taskComplete(tdb.db, { workerId: "w1", results: [{ id: t!.id, returnValue: "1" }] });
    const next = await tdb.db.selectFrom("errand_tasks").selectAll().where("status", "=", "PENDING").execute();
    expect(next).toHaveLength(1);
    // 250 s late on a 100 s grid: the next slot is scheduled + 300 s.
    expect(next[0]!.run_after.getTime()).toBe(scheduled.getTime() + 300_000);
    expect(next[0]!.args).toEqual(["r"]);
    expect(next[0]!.id).not.toBe(t!.id);
  });

  it("stops repeating past repeat_until", async () => {
    const scheduled = new Date(Date.now() - 10_000);
    const [t] = await insertTasks(tdb.db, [
      row({
        repeat_seconds: 3600,
        run_after: scheduled,
        scheduled_at: scheduled,
        repeat_until: new Date(Date.now() + 60_000),
      }),
    ]);
    await queries.taskClaimBatch(tdb.db, { queues: "*", limit: 1, workerId: "w1", leaseSeconds: 30 });
    await queries.taskComplete(tdb.db, { workerId: "w1", results: [{ id: t!.id, returnValue: "1" }] });
    const count = await tdb.db
      .selectFrom("errand_tasks")
      .select(sql<number>`count(*)::int`.as("n"))
      .executeTakeFirstOrThrow();
    expect(count.n).toBe(1);
  });
});

describe("leases", () => {
  it("renews only what the worker holds, and rescues lapsed leases counting the lost attempt", async () => {
    const [a, b] = await insertTasks(tdb.db, [row(), row({ max_attempts: 1 })]);
    await queries.taskClaimBatch(tdb.db, { queues: "*", limit: 2, workerId: "dead", leaseSeconds: 30 });
    expect(await queries.taskRenewLease(tdb.db, { workerId: "other", ids: [a!.id], leaseSeconds: 30 })).toEqual([]);
    expect(
      (await queries.taskRenewLease(tdb.db, { workerId: "dead", ids: [a!.id, b!.id], leaseSeconds: 30 })).sort(),
    ).toEqual([a!.id, b!.id].sort());
    expect(await queries.taskRescueExpired(tdb.db)).toEqual([]);
    await sql`UPDATE errand_tasks SET locked_until = now() - interval '1 second'`.execute(tdb.db);
    const rescued = await queries.taskRescueExpired(tdb.db);
    const byId = new Map(rescued.map((r) => [r.id, r]));
    expect(byId.get(a!.id)).toMatchObject({ status: "PENDING", attempts: 1, locked_by: null });
    expect(byId.get(b!.id)).toMatchObject({ status: "FAILED", attempts: 1 });
    expect(byId.get(a!.id)!.errors[0]).toMatchObject({ exceptionClass: "LeaseExpired", attempt: 1 });
    // The dead worker's late completion does not overwrite the rescue.
    expect(
      await queries.taskComplete(tdb.db, { workerId: "dead", results: [{ id: a!.id, returnValue: "1" }] }),
    ).toEqual([]);
  });

  it("releases claimed-but-unstarted tasks as if never claimed", async () => {
    const [a] = await insertTasks(tdb.db, [row()]);
    await queries.taskClaimBatch(tdb.db, { queues: "*", limit: 1, workerId: "w1", leaseSeconds: 30 });
    const [released] = await queries.taskRelease(tdb.db, { workerId: "w1", ids: [a!.id] });
    expect(released).toMatchObject({
      status: "PENDING",
      attempts: 0,
      worker_ids: [],
      started_at: null,
      last_attempted_at: null,
    });
  });
});

describe("cancel, retry, progress, prune, stats", () => {
  it("cancels only PENDING and retries only FAILED", async () => {
    const [a] = await insertTasks(tdb.db, [row()]);
    const cancelled = await queries.taskCancel(tdb.db, { id: a!.id });
    expect(cancelled).toMatchObject({ status: "FAILED" });
    expect(cancelled!.errors[0]!.exceptionClass).toBe("TaskCancelled");
    expect(await queries.taskCancel(tdb.db, { id: a!.id })).toBeUndefined();
    const retried = await queries.taskRetry(tdb.db, { id: a!.id });
    expect(retried).toMatchObject({ status: "PENDING", finished_at: null });
    expect(await queries.taskRetry(tdb.db, { id: a!.id })).toBeUndefined();
    expect(await queries.taskCancel(tdb.db, { id: "not-a-uuid" })).toBeUndefined();
  });

  it("stores progress for the holder only", async () => {
    const [a] = await insertTasks(tdb.db, [row()]);
    await queries.taskClaimBatch(tdb.db, { queues: "*", limit: 1, workerId: "w1", leaseSeconds: 30 });
    expect(await queries.taskSetProgress(tdb.db, { id: a!.id, workerId: "w2", done: 1, total: 2 })).toBe(false);
    expect(await queries.taskSetProgress(tdb.db, { id: a!.id, workerId: "w1", done: 1, total: 2 })).toBe(true);
    expect(await queries.taskGet(tdb.db, { id: a!.id })).toMatchObject({ progress_done: 1, progress_total: 2 });
  });

  it("prunes only finished tasks older than the age, with a dry run", async () => {
    const statuses: TaskStatus[] = ["PENDING", "RUNNING", "SUCCESSFUL", "FAILED"];
    for (const status of statuses) {
      const finished = status === "SUCCESSFUL" || status === "FAILED";
      await insertTasks(tdb.db, [
        row({
          status,
          attempts: status === "PENDING" ? 0 : 1,
          worker_ids: status === "PENDING" ? [] : ["w"],
          started_at: status === "PENDING" ? null : new Date(),
          last_attempted_at: status === "PENDING" ? null : new Date(),
          finished_at: finished ? new Date(Date.now() - 3 * 86_400_000) : null,
          locked_by: status === "RUNNING" ? "w" : null,
          locked_until: status === "RUNNING" ? new Date(Date.now() - 3 * 86_400_000) : null,
        }),
      ]);
    }
    expect(await queries.taskPrune(tdb.db, { age: 7 * 86_400, statuses: ["SUCCESSFUL", "FAILED"] })).toBe(0);
    expect(await queries.taskPrune(tdb.db, { age: 86_400, statuses: ["SUCCESSFUL", "FAILED"], dryRun: true })).toBe(2);
    expect(await queries.taskPrune(tdb.db, { age: 86_400, statuses: ["FAILED"] })).toBe(1);
    const left = await tdb.db.selectFrom("errand_tasks").select("status").execute();
    expect(left.map((r) => r.status).sort()).toEqual(["PENDING", "RUNNING", "SUCCESSFUL"]);
    const stats = await queries.taskStats(tdb.db);
    expect(stats.counts.reduce((n, c) => n + c.count, 0)).toBe(3);
  });
});

describe("taskInsert", () => {
  it("inserts one row, or many in one statement, in input order with defaults filled in", async () => {
    const base = insertRow({ task_name: "t.insert", max_attempts: 3 });
    const when = new Date(Date.now() + 60_000);
    const [one] = await queries.taskInsert(tdb.db, [{ ...base, args: "[0]", run_after: when, verbose_name: "V" }]);
    expect(one!.run_after).toEqual(when);
    const single = await queries.taskGet(tdb.db, { id: one!.id });
    expect(single).toMatchObject({
      status: "PENDING",
      args: [0],
      run_after: when,
      scheduled_at: when,
      verbose_name: "V",
    });
    const inserted = await queries.taskInsert(
      tdb.db,
      Array.from({ length: 5000 }, (_, i) => ({
        ...base,
        args: JSON.stringify([i]),
        run_after: i === 1 ? when : null,
        creator_type: "user",
        creator_id: String(i),
      })),
    );
    expect(inserted).toHaveLength(5000);
    expect(inserted[1]!.run_after).toEqual(when);
    const many = await tdb.db
      .selectFrom("errand_tasks")
      .selectAll()
      .where("task_name", "=", "t.insert")
      .where("id", "!=", one!.id)
      .orderBy("seq")
      .execute();
    expect(many.map((r) => r.id)).toEqual(inserted.map((r) => r.id));
    expect(many.map((r) => r.args[0])).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    expect(many[0]!.run_after.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
    expect(many[4999]).toMatchObject({ creator_type: "user", creator_id: "4999", max_attempts: 3, attempts: 0 });
  });
});

describe("taskInsert, identical rows", () => {
  it("inserts many rows that share every column, in order, each with its own id", async () => {
    const same = insertRow({ task_name: "t.same", queue_name: "bulk", priority: 3, max_attempts: 2 });
    const inserted = await queries.taskInsert(tdb.db, [same, same, same]);
    expect(new Set(inserted.map((r) => r.id)).size).toBe(3);
    const stored = await tdb.db
      .selectFrom("errand_tasks")
      .selectAll()
      .where("task_name", "=", "t.same")
      .orderBy("seq")
      .execute();
    expect(stored.map((r) => r.id)).toEqual(inserted.map((r) => r.id));
    expect(stored.every((r) => r.queue_name === "bulk" && r.priority === 3 && r.max_attempts === 2)).toBe(true);
  });
});

describe("schema invariants", () => {
  it.each([
    ["priority 101", { priority: 101 }, "errand_tasks_priority_range"],
    ["unknown status", { status: "DONE" as TaskStatus }, "errand_tasks_status_valid"],
    ["finished without finished_at", { status: "SUCCESSFUL" as TaskStatus }, "errand_tasks_finished_iff_finished_at"],
    ["args not an array", { args: '{"a":1}' }, "errand_tasks_args_array"],
    ["attempts without workers", { attempts: 2 }, "errand_tasks_attempts_counted"],
  ])("refuses %s with a named constraint", async (_label, overrides, constraint) => {
    await expect(insertTasks(tdb.db, [row(overrides)])).rejects.toThrow(constraint);
  });
});
