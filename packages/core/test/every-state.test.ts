// Each state change of the database store checked against a task in every state at once:
// what each operation may touch, and what it must leave alone.
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { queries } from "@errand/core/internal";
import {
  createTestDatabase,
  insertTaskInEveryState,
  TASK_STATE_FIXTURES,
  type TaskStateFixture,
  type TestDatabase,
} from "@errand/core/testing";
import type { TaskRow } from "@errand/db";

const tdb: TestDatabase = await createTestDatabase();
let rows: Record<TaskStateFixture, TaskRow>;

afterAll(() => tdb.drop());
beforeEach(async () => {
  await sql`TRUNCATE errand_tasks`.execute(tdb.db);
  rows = await insertTaskInEveryState(tdb.db);
});

/** The fixtures whose rows an operation returned, in fixture order. */
function which(touched: readonly { id: string }[]): TaskStateFixture[] {
  const ids = new Set(touched.map((r) => r.id));
  return TASK_STATE_FIXTURES.filter((state) => ids.has(rows[state].id));
}

async function statusOf(state: TaskStateFixture): Promise<string> {
  const row = await tdb.db
    .selectFrom("errand_tasks")
    .select("status")
    .where("id", "=", rows[state].id)
    .executeTakeFirstOrThrow();
  return row.status;
}

describe("a task in every state", () => {
  it("makes one row per state, each in the status its name says", async () => {
    expect(Object.fromEntries(TASK_STATE_FIXTURES.map((s) => [s, rows[s].status]))).toEqual({
      pendingDue: "PENDING",
      pendingLater: "PENDING",
      pendingRetrying: "PENDING",
      runningLeased: "RUNNING",
      runningExpired: "RUNNING",
      successful: "SUCCESSFUL",
      failed: "FAILED",
      cancelled: "FAILED",
    });
  });

  it("a claim takes only the due PENDING tasks", async () => {
    const claimed = await queries.taskClaimBatch(tdb.db, { queues: "*", limit: 100, workerId: "w1", leaseSeconds: 30 });
    expect(which(claimed)).toEqual(["pendingDue", "pendingRetrying"]);
    expect(claimed.every((r) => r.status === "RUNNING" && r.locked_by === "w1")).toBe(true);
  });

  it("a rescue takes only the RUNNING task whose lease lapsed", async () => {
    const rescued = await queries.taskRescueExpired(tdb.db);
    expect(which(rescued)).toEqual(["runningExpired"]);
    expect(await statusOf("runningLeased")).toBe("RUNNING");
  });

  it("cancel succeeds only on PENDING and RUNNING tasks (a RUNNING one is asked to stop)", async () => {
    const cancelled: TaskStateFixture[] = [];
    for (const state of TASK_STATE_FIXTURES) {
      if (await queries.taskCancel(tdb.db, { id: rows[state].id })) cancelled.push(state);
    }
    expect(cancelled).toEqual(["pendingDue", "pendingLater", "pendingRetrying", "runningLeased", "runningExpired"]);
    expect(await statusOf("runningLeased")).toBe("RUNNING");
    expect(await statusOf("pendingDue")).toBe("FAILED");
    expect(await statusOf("successful")).toBe("SUCCESSFUL");
  });

  it("retry succeeds only on FAILED tasks", async () => {
    const retried: TaskStateFixture[] = [];
    for (const state of TASK_STATE_FIXTURES) {
      if (await queries.taskRetry(tdb.db, { id: rows[state].id })) retried.push(state);
    }
    expect(retried).toEqual(["failed", "cancelled"]);
    expect(await statusOf("failed")).toBe("PENDING");
  });

  it("prune deletes only finished tasks older than the age", async () => {
    // The finished rows end an hour, a day and a week ago: each cut-off below falls between
    // two of them with hours to spare, however slow the machine.
    const finishedAgo = { successful: "1 hour", failed: "1 day", cancelled: "7 days" } as const;
    for (const [state, ago] of Object.entries(finishedAgo)) {
      await sql`UPDATE errand_tasks SET finished_at = now() - ${ago}::interval
        WHERE id = ${rows[state as TaskStateFixture].id}::uuid`.execute(tdb.db);
    }
    const statuses: ("SUCCESSFUL" | "FAILED")[] = ["SUCCESSFUL", "FAILED"];
    const HOUR = 3600;
    const left = async () => which(await tdb.db.selectFrom("errand_tasks").select("id").execute());
    const unfinished = ["pendingDue", "pendingLater", "pendingRetrying", "runningLeased", "runningExpired"];

    expect(await queries.taskPrune(tdb.db, { age: 8 * 24 * HOUR, statuses })).toBe(0);
    expect(await queries.taskPrune(tdb.db, { age: 2 * 24 * HOUR, statuses, dryRun: true })).toBe(1);
    expect(await left()).toEqual([...unfinished, "successful", "failed", "cancelled"]);
    expect(await queries.taskPrune(tdb.db, { age: 2 * 24 * HOUR, statuses })).toBe(1);
    expect(await left()).toEqual([...unfinished, "successful", "failed"]);
    // Only the statuses asked for: the FAILED row finished a day ago stays.
    expect(await queries.taskPrune(tdb.db, { age: 2 * HOUR, statuses: ["SUCCESSFUL"] })).toBe(0);
    expect(await queries.taskPrune(tdb.db, { age: 2 * HOUR, statuses })).toBe(1);
    expect(await left()).toEqual([...unfinished, "successful"]);
    expect(await queries.taskPrune(tdb.db, { age: 60, statuses })).toBe(1);
    // PENDING and RUNNING rows are never pruned, whatever the age.
    expect(await queries.taskPrune(tdb.db, { age: 0, statuses })).toBe(0);
    expect(await left()).toEqual(unfinished);
  });
});
