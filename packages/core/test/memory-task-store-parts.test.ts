// The parts MemoryTaskStore is built from, each on its own and without a database: the
// unique-key index, the bound on kept results, a repeat's next run, the claim's choice and
// order, and list paging. The conformance suite checks the store they make up.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { TaskRecord } from "@errand/core";
import { type EnqueueRequest } from "@errand/core/internal";
import { enqueueRequest } from "@errand/core/testing";
import { memoryDueTasks } from "../src/store/memory-due-tasks";
import { MemoryFinishedTasks } from "../src/store/memory-finished-tasks";
import { memoryTaskList } from "../src/store/memory-task-list";
import { MemoryUniqueKeys } from "../src/store/memory-unique-keys";
import { newTaskRecord } from "../src/store/new-task-record";
import { repeatNextRun } from "../src/store/repeat-next-run";

const T0 = new Date("2030-01-01T00:00:00Z");

function at(seconds: number): Date {
  return new Date(T0.getTime() + seconds * 1000);
}

function record(overrides: Partial<EnqueueRequest> = {}, runAfter = T0): TaskRecord {
  return newTaskRecord(enqueueRequest(overrides), { id: randomUUID(), backend: "memory", enqueuedAt: T0, runAfter });
}

/** Stored tasks as the store keeps them: by id, `seq` in enqueue order. */
function stored(records: TaskRecord[]): Map<string, { record: TaskRecord; seq: number }> {
  return new Map(records.map((r, i) => [r.id, { record: r, seq: i + 1 }]));
}

describe("MemoryUniqueKeys", () => {
  it("names the latest task stored with a key while it is PENDING or RUNNING", () => {
    const keys = new MemoryUniqueKeys<{ record: TaskRecord }>();
    const first = { record: record({ uniqueKey: "report:1" }) };
    expect(keys.holder("report:1")).toBeUndefined();
    keys.remember(first);
    expect(keys.holder("report:1")).toBe(first);
    first.record.status = "RUNNING";
    expect(keys.holder("report:1")).toBe(first);
    first.record.status = "SUCCESSFUL";
    expect(keys.holder("report:1")).toBeUndefined();
    const second = { record: record({ uniqueKey: "report:1" }) };
    keys.remember(second);
    expect(keys.holder("report:1")).toBe(second);
    keys.clear();
    expect(keys.holder("report:1")).toBeUndefined();
  });

  it("ignores a task without a key", () => {
    const keys = new MemoryUniqueKeys<{ record: TaskRecord }>();
    keys.remember({ record: record() });
    expect(keys.holder("null")).toBeUndefined();
  });
});

describe("MemoryFinishedTasks", () => {
  it("returns the ids finished longest ago once past the limit", () => {
    const finished = new MemoryFinishedTasks(2);
    expect(finished.finish("a")).toEqual([]);
    expect(finished.finish("b")).toEqual([]);
    expect(finished.finish("c")).toEqual(["a"]);
    // Finishing again (a retried task) makes it the most recent.
    expect(finished.finish("b")).toEqual([]);
    expect(finished.finish("d")).toEqual(["c"]);
  });

  it("no longer counts a deleted id, and keeps everything without a limit", () => {
    const bounded = new MemoryFinishedTasks(1);
    bounded.finish("a");
    bounded.delete("a");
    expect(bounded.finish("b")).toEqual([]);
    const unbounded = new MemoryFinishedTasks(Infinity);
    for (let i = 0; i < 1000; i++) expect(unbounded.finish(String(i))).toEqual([]);
  });
});

describe("repeatNextRun", () => {
  it("is due at the first slot after now on the grid from when it was first due, missed slots skipped", () => {
    const r = record({ repeat: 60, args: [1], uniqueKey: "k" });
    const next = repeatNextRun(r, T0, at(150))!;
    expect(next.runAfter).toEqual(at(180));
    expect(next).toMatchObject({ status: "PENDING", attempts: 0, repeat: 60, args: [1], uniqueKey: null });
    expect(next.id).not.toBe(r.id);
    expect(repeatNextRun(r, T0, at(-5))!.runAfter).toEqual(at(60));
  });

  it("stops past repeatUntil", () => {
    const r = record({ repeat: 60, repeatUntil: at(100) });
    expect(repeatNextRun(r, T0, at(30))!.runAfter).toEqual(at(60));
    expect(repeatNextRun(r, T0, at(90))).toBeUndefined();
  });
});

describe("memoryDueTasks", () => {
  it("takes due PENDING tasks of the queues, by priority, then due time, then enqueue order", () => {
    const low = record({ priority: 0 });
    const high = record({ priority: 5 });
    const early = record({ priority: 0 }, at(-10));
    const later = record({ priority: 0 });
    const notDue = record({ priority: 9 }, at(10));
    const otherQueue = record({ queueName: "email", priority: 9 });
    const running = record({ priority: 9 });
    running.status = "RUNNING";
    const tasks = stored([low, high, early, later, notDue, otherQueue, running]);
    const params = { queues: ["default"], limit: 10, workerId: "w", leaseSeconds: 30 };
    const ids = (due: { record: TaskRecord }[]) => due.map((t) => t.record.id);
    expect(ids(memoryDueTasks(tasks, params, T0))).toEqual([high.id, early.id, low.id, later.id]);
    expect(ids(memoryDueTasks(tasks, { ...params, limit: 2 }, T0))).toEqual([high.id, early.id]);
    expect(ids(memoryDueTasks(tasks, { ...params, queues: "*", excludeQueues: ["default"] }, T0))).toEqual([
      otherQueue.id,
    ]);
    expect(ids(memoryDueTasks(tasks, { ...params, ids: [later.id.toUpperCase()] }, T0))).toEqual([later.id]);
    expect(memoryDueTasks(tasks, { ...params, backend: "elsewhere" }, T0)).toEqual([]);
  });
});

describe("memoryTaskList", () => {
  it("pages newest first, the cursor being the last task's seq", () => {
    const records = [record(), record({ taskName: "other" }), record(), record()];
    const tasks = stored(records);
    const first = memoryTaskList(tasks.values(), { taskName: "test.noop", limit: 2 });
    expect(first.items.map((r) => r.id)).toEqual([records[3]!.id, records[2]!.id]);
    expect(first.nextCursor).toBe("3");
    const second = memoryTaskList(tasks.values(), { taskName: "test.noop", limit: 2, cursor: "3" });
    expect(second.items.map((r) => r.id)).toEqual([records[0]!.id]);
    expect(second.nextCursor).toBeNull();
    // Copies: changing a listed record changes no stored one.
    second.items[0]!.status = "FAILED";
    expect(records[0]!.status).toBe("PENDING");
  });
});
