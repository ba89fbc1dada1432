import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { TaskRecord } from "@errand/core";
import type { EnqueueRequest } from "@errand/core/internal";
import { MemoryTaskStore, PostgresTaskStore, type TaskStore } from "@errand/core/internal";
import { sql } from "kysely";
import { createTestDatabase, enqueueRequest, type TestDatabase } from "@errand/core/testing";

// Dependencies between tasks, in one conformance suite run against both stores.
let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(() => tdb?.drop());

const stores = [
  {
    name: "PostgresTaskStore",
    make: async (): Promise<TaskStore> => {
      await tdb.db.deleteFrom("errand_tasks").execute();
      return new PostgresTaskStore(tdb.db);
    },
  },
  { name: "MemoryTaskStore", make: async (): Promise<TaskStore> => new MemoryTaskStore() },
];

const MISSING = "00000000-0000-4000-8000-000000000000";

const boom = (attempt: number) => ({
  exceptionClass: "Error",
  message: "boom",
  traceback: "Error: boom",
  attempt,
  failedAt: new Date().toISOString(),
});

describe.each(stores)("$name: dependencies", ({ make }) => {
  let store: TaskStore;
  beforeEach(async () => {
    store = await make();
  });

  const insert = async (overrides: Partial<EnqueueRequest> = {}, backend = "default"): Promise<TaskRecord> => {
    const [record] = await store.taskInsert({
      backend,
      tasks: [enqueueRequest({ taskName: "deps.t", ...overrides })],
    });
    return record!;
  };
  const claim = (limit = 50, workerId = "w1") =>
    store.taskClaimBatch({ queues: "*", limit, workerId, leaseSeconds: 30 });
  const claimIds = async (limit = 50) => (await claim(limit)).map((r) => r.id).sort();
  const get = async (id: string) => (await store.taskGet({ id }))!;
  const complete = (id: string, value: unknown = null) =>
    store.taskComplete({ workerId: "w1", results: [{ id, returnValue: JSON.stringify(value) }] });
  const failForGood = (id: string) =>
    store.taskFail({ workerId: "w1", failures: [{ id, error: boom(1), retryDelay: null }] });
  const count = async () => (await store.taskList({ limit: 500 })).items.length;

  it("a keyed task, or one of a limited queue, waits for its dependencies too (the limited claim)", async () => {
    const a = await insert({ args: ["a"] });
    const keyed = await insert({ args: ["keyed"], dependsOn: [a.id], concurrencyKey: "k" });
    const limited = await insert({ args: ["limited"], dependsOn: [a.id], queueName: "limited" });
    // Due and keyed, without dependencies: the limited claim runs.
    const other = await insert({ args: ["other"], concurrencyKey: "k2" });
    const flow = { queues: { limited: { concurrency: 5 } }, freeSlots: 10 };
    const first = await store.taskClaimBatch({ queues: "*", limit: 10, workerId: "w1", leaseSeconds: 30, flow });
    expect(first.map((r) => r.id).sort()).toEqual([a.id, other.id].sort());
    await complete(a.id);
    const then = await store.taskClaimBatch({ queues: "*", limit: 10, workerId: "w1", leaseSeconds: 30, flow });
    expect(then.map((r) => r.id).sort()).toEqual([keyed.id, limited.id].sort());
  });

  it("waits until every dependency succeeded, then is claimed with their return values in order", async () => {
    const a = await insert({ args: ["a"] });
    const b = await insert({ args: ["b"] });
    const fanIn = await insert({ args: ["fan-in"], dependsOn: [b.id, a.id] });
    expect(fanIn).toMatchObject({ status: "PENDING", dependsOn: [b.id, a.id], waitingOn: 2 });
    expect(await get(fanIn.id)).toMatchObject({ dependsOn: [b.id, a.id], waitingOn: 2 });

    expect(await claimIds()).toEqual([a.id, b.id].sort());
    await complete(a.id, { side: "a" });
    expect((await get(fanIn.id)).waitingOn).toBe(1);
    expect(await claimIds()).toEqual([]);

    await complete(b.id, { side: "b" });
    expect((await get(fanIn.id)).waitingOn).toBe(0);
    expect(await claimIds()).toEqual([fanIn.id]);
    expect(await store.taskDependencies({ id: fanIn.id })).toEqual([
      { id: b.id, taskName: "deps.t", returnValue: { side: "b" } },
      { id: a.id, taskName: "deps.t", returnValue: { side: "a" } },
    ]);
    expect(await store.taskDependents({ id: a.id, limit: 10 })).toEqual([
      { id: fanIn.id, taskName: "deps.t", status: "RUNNING" },
    ]);
  });

  it("is due at once when every dependency already succeeded; ids match whatever their case", async () => {
    const a = await insert();
    await claim();
    await complete(a.id, 7);
    const next = await insert({ dependsOn: [a.id.toUpperCase()] });
    expect(next).toMatchObject({ dependsOn: [a.id], waitingOn: 0 });
    expect(await claimIds()).toEqual([next.id]);
  });

  it("fails its dependents transitively, naming the failed task, without running them", async () => {
    const a = await insert({ taskName: "deps.first", maxAttempts: 1 });
    const b = await insert({ dependsOn: [a.id] });
    const c = await insert({ dependsOn: [b.id] });
    const bystander = await insert();
    await claim();
    await failForGood(a.id);

    const [fb, fc] = [await get(b.id), await get(c.id)];
    expect(fb).toMatchObject({ status: "FAILED", attempts: 0, startedAt: null });
    expect(fb.errors.at(-1)).toMatchObject({ exceptionClass: "DependencyFailed" });
    expect(fb.errors.at(-1)!.message).toContain(`Task ${a.id} ("deps.first")`);
    expect(fc).toMatchObject({ status: "FAILED", attempts: 0 });
    expect(fc.errors.at(-1)!.message).toContain(`Task ${b.id} ("deps.t")`);
    expect((await get(bystander.id)).status).toBe("RUNNING");

    // Retrying the failed dependency, then its dependents, runs the chain again.
    expect(await store.taskRetry({ id: a.id })).toMatchObject({ status: "PENDING" });
    expect(await store.taskRetry({ id: b.id })).toMatchObject({ status: "PENDING" });
    expect(await store.taskRetry({ id: c.id })).toMatchObject({ status: "PENDING" });
    expect((await get(b.id)).waitingOn).toBe(1);
    expect((await get(c.id)).waitingOn).toBe(1);
    expect(await claimIds()).toEqual([a.id]);
    await complete(a.id, "a again");
    expect(await claimIds()).toEqual([b.id]);
    await complete(b.id, "b");
    expect(await claimIds()).toEqual([c.id]);
    expect(await store.taskDependencies({ id: c.id })).toEqual([{ id: b.id, taskName: "deps.t", returnValue: "b" }]);
  });

  it("fails a dependent when a retried-away failure is not final, only when it is", async () => {
    const a = await insert({ maxAttempts: 2 });
    const b = await insert({ dependsOn: [a.id] });
    await claim();
    await store.taskFail({ workerId: "w1", failures: [{ id: a.id, error: boom(1), retryDelay: 0 }] });
    expect(await get(b.id)).toMatchObject({ status: "PENDING", waitingOn: 1 });
    expect(await claimIds()).toEqual([a.id]);
    await failForGood(a.id);
    expect((await get(b.id)).status).toBe("FAILED");
  });

  it("fails the tasks waiting on a cancelled task", async () => {
    const a = await insert({ runAfter: new Date(Date.now() + 60_000) });
    const b = await insert({ dependsOn: [a.id] });
    await store.taskCancel({ id: a.id });
    const fb = await get(b.id);
    expect(fb.status).toBe("FAILED");
    expect(fb.errors.at(-1)).toMatchObject({ exceptionClass: "DependencyFailed" });
  });

  it("fails the tasks waiting on a task whose lease lapsed out of attempts", async () => {
    const a = await insert({ maxAttempts: 1 });
    const b = await insert({ dependsOn: [a.id] });
    await store.taskClaimBatch({ queues: "*", limit: 1, workerId: "w1", leaseSeconds: -1 });
    await store.taskRescueExpired();
    expect((await get(a.id)).status).toBe("FAILED");
    expect((await get(b.id)).status).toBe("FAILED");
  });

  it("stores a task whose dependency already failed as FAILED at once", async () => {
    const a = await insert({ maxAttempts: 1 });
    await claim();
    await failForGood(a.id);
    const b = await insert({ dependsOn: [a.id] });
    expect(b.status).toBe("FAILED");
    expect(b.errors[0]).toMatchObject({ exceptionClass: "DependencyFailed" });
    expect((await get(b.id)).status).toBe("FAILED");
    expect(await claimIds()).toEqual([]);
  });

  it("refuses an unknown id, an id of another backend, a repeat and more than 1,000, storing nothing", async () => {
    const a = await insert();
    const other = await insert({}, "reports");
    const before = await count();
    await expect(insert({ dependsOn: [a.id, MISSING] })).rejects.toThrow(
      /no task with id "00000000-0000-4000-8000-000000000000" is stored on backend "default"/,
    );
    await expect(insert({ dependsOn: ["not-a-uuid"] })).rejects.toThrow(/no task with id "not-a-uuid"/);
    await expect(insert({ dependsOn: [other.id] })).rejects.toThrow(/belongs to backend "reports", not "default"/);
    await expect(insert({ dependsOn: [a.id, a.id] })).rejects.toThrow(/lists task .* twice/);
    const many = Array.from({ length: 1001 }, () => a.id);
    await expect(insert({ dependsOn: many })).rejects.toThrow(/at most 1000/);
    // A batch with one bad task stores none of them.
    await expect(
      store.taskInsert({
        backend: "default",
        tasks: [enqueueRequest({ dependsOn: [a.id] }), enqueueRequest({ dependsOn: [MISSING] })],
      }),
    ).rejects.toThrow(/no task with id/);
    expect(await count()).toBe(before);
  });

  it("works with many tasks at once and with unique keys", async () => {
    const a = await insert();
    const b = await insert();
    const many = await store.taskInsert({
      backend: "default",
      tasks: [
        enqueueRequest({ args: [1], dependsOn: [a.id] }),
        enqueueRequest({ args: [2], dependsOn: [a.id, b.id] }),
        enqueueRequest({ args: [3], dependsOn: [a.id, b.id], uniqueKey: "fan-in" }),
        enqueueRequest({ args: [4], dependsOn: [b.id], uniqueKey: "fan-in" }),
        enqueueRequest({ args: [5] }),
      ],
    });
    expect(many.map((r) => [r.args[0], r.waitingOn, r.dependsOn.length, r.deduplicated ?? false])).toEqual([
      [1, 1, 1, false],
      [2, 2, 2, false],
      [3, 2, 2, false],
      [3, 2, 2, true],
      [5, 0, 0, false],
    ]);
    expect(await claimIds()).toEqual([a.id, b.id, many[4]!.id].sort());
    await complete(a.id);
    expect(await claimIds()).toEqual([many[0]!.id]);
    await complete(b.id);
    expect(await claimIds()).toEqual([many[1]!.id, many[2]!.id].sort());
  });

  it("never prunes a finished task that an unfinished task still waits on", async () => {
    const a = await insert();
    const b = await insert();
    const waiting = await insert({ dependsOn: [a.id, b.id] });
    await claim();
    await complete(a.id);
    expect(await store.taskPrune({ age: 0 })).toBe(0);
    expect(await store.taskGet({ id: a.id })).toBeDefined();
    await complete(b.id);
    await claim();
    await complete(waiting.id);
    expect(await store.taskPrune({ age: 0 })).toBe(3);
  });
});

describe("PostgresTaskStore: dependencies inside the caller's transaction", () => {
  it("stores the task and its edges only if that transaction commits", async () => {
    await tdb.db.deleteFrom("errand_tasks").execute();
    const store = new PostgresTaskStore(tdb.db);
    const [a] = await store.taskInsert({ backend: "default", tasks: [enqueueRequest()] });
    await expect(
      tdb.db.transaction().execute(async (trx) => {
        await store.taskInsert({
          backend: "default",
          tasks: [enqueueRequest({ dependsOn: [a!.id] })],
          transaction: trx,
        });
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    expect(await tdb.db.selectFrom("errand_task_dependencies").selectAll().execute()).toEqual([]);
    const [b] = await tdb.db
      .transaction()
      .execute((trx) =>
        store.taskInsert({ backend: "default", tasks: [enqueueRequest({ dependsOn: [a!.id] })], transaction: trx }),
      );
    expect(await tdb.db.selectFrom("errand_task_dependencies").selectAll().execute()).toEqual([
      { task_id: b!.id, depends_on_id: a!.id, position: 0 },
    ]);
  });

  it("drops the edges of deleted and truncated tasks, both ways", async () => {
    await tdb.db.deleteFrom("errand_tasks").execute();
    const store = new PostgresTaskStore(tdb.db);
    const [a] = await store.taskInsert({ backend: "default", tasks: [enqueueRequest()] });
    await store.taskInsert({ backend: "default", tasks: [enqueueRequest({ dependsOn: [a!.id] })] });
    const edges = () => tdb.db.selectFrom("errand_task_dependencies").selectAll().execute();
    expect(await edges()).toHaveLength(1);
    await tdb.db.deleteFrom("errand_tasks").where("id", "=", a!.id).execute();
    expect(await edges()).toEqual([]);
    const [b] = await store.taskInsert({ backend: "default", tasks: [enqueueRequest()] });
    await store.taskInsert({ backend: "default", tasks: [enqueueRequest({ dependsOn: [b!.id] })] });
    await sql`TRUNCATE errand_tasks`.execute(tdb.db);
    expect(await edges()).toEqual([]);
  });
});
