import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { QueueSettings } from "@errand/core";
import type { EnqueueRequest } from "@errand/core/internal";
import { MemoryTaskStore, PostgresTaskStore, type TaskStore } from "@errand/core/internal";
import { createTestDatabase, enqueueRequest, type TestDatabase } from "@errand/core/testing";

// Flow control — pause, queue limits, concurrency keys, bulk retry and cancel — as one
// conformance suite run against both stores, the same way.
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
      await tdb.db.deleteFrom("errand_queues").execute();
      await tdb.db.deleteFrom("errand_queue_starts").execute();
      return new PostgresTaskStore(tdb.db);
    },
  },
  { name: "MemoryTaskStore", make: async (): Promise<TaskStore> => new MemoryTaskStore() },
];

const secondsAgo = (s: number) => new Date(Date.now() - s * 1000);
const failure = (attempt: number) => ({
  exceptionClass: "Error",
  message: "boom",
  traceback: "Error: boom",
  attempt,
  failedAt: new Date().toISOString(),
});

describe.each(stores)("$name flow control", ({ make }) => {
  let store: TaskStore;
  beforeEach(async () => {
    store = await make();
  });

  let seq = 0;
  const insert = (...overrides: Partial<EnqueueRequest>[]) =>
    store.taskInsert({
      backend: "default",
      // Distinct, increasing run_after: the claim order is the insert order.
      tasks: overrides.map((o) => enqueueRequest({ taskName: "flow.t", runAfter: secondsAgo(1000 - seq++), ...o })),
    });
  const claim = (
    options: { limit?: number; freeSlots?: number; queues?: Record<string, QueueSettings>; workerId?: string } = {},
  ) =>
    store.taskClaimBatch({
      queues: "*",
      limit: options.limit ?? 10,
      workerId: options.workerId ?? "w1",
      leaseSeconds: 30,
      flow: { queues: options.queues ?? {}, freeSlots: options.freeSlots ?? options.limit ?? 10 },
    });
  const argsOf = (records: { args: unknown[] }[]) => records.map((r) => r.args[0]);
  const complete = (ids: string[], workerId = "w1") =>
    store.taskComplete({ workerId, results: ids.map((id) => ({ id, returnValue: "null" })) });

  it("claims nothing of a paused queue until it is resumed; enqueues are still stored PENDING", async () => {
    await store.queuePause({ name: "email" });
    await store.queuePause({ name: "email" });
    await insert({ args: ["e1"], queueName: "email" }, { args: ["d1"] });
    expect(await store.queuePausedNames()).toEqual(["email"]);
    expect(argsOf(await claim())).toEqual(["d1"]);
    expect(await claim()).toEqual([]);
    await store.queueResume({ name: "email" });
    expect(await store.queuePausedNames()).toEqual([]);
    expect(argsOf(await claim())).toEqual(["e1"]);
  });

  it("ignores pause and limits when the claim says so (the immediate backend)", async () => {
    await store.queuePause({ name: "email" });
    const [t] = await insert({ queueName: "email", concurrencyKey: "k" });
    const claimed = await store.taskClaimBatch({
      queues: "*",
      ids: [t!.id],
      limit: 1,
      workerId: "w1",
      leaseSeconds: 30,
      ignoreFlow: true,
    });
    expect(claimed.map((c) => c.id)).toEqual([t!.id]);
  });

  it("keeps a queue's RUNNING tasks under its concurrency, claimed ahead included", async () => {
    const queues = { email: { concurrency: 2 } };
    await insert(...["e1", "e2", "e3", "e4"].map((a) => ({ args: [a], queueName: "email" })), { args: ["d1"] });
    const first = await claim({ queues });
    expect(argsOf(first).sort()).toEqual(["d1", "e1", "e2"]);
    expect(await claim({ queues, workerId: "w2" })).toEqual([]);
    await complete([first.find((t) => t.args[0] === "e1")!.id]);
    expect(argsOf(await claim({ queues, workerId: "w2" }))).toEqual(["e3"]);
  });

  it("claims limited tasks only for free slots, unlimited ones up to the limit", async () => {
    const queues = { email: { concurrency: 5 } };
    await insert(
      ...["e1", "e2", "e3"].map((a) => ({ args: [a], queueName: "email" })),
      { args: ["d1"] },
      { args: ["d2"] },
    );
    const claimed = await claim({ queues, limit: 10, freeSlots: 1 });
    expect(argsOf(claimed).sort()).toEqual(["d1", "d2", "e1"]);
  });

  it("never starts more than a rate limit's starts in its period, finished or not", async () => {
    const queues = { api: { rateLimit: { limit: 3, periodSeconds: 60 } } };
    await insert(...["a1", "a2", "a3", "a4", "a5"].map((a) => ({ args: [a], queueName: "api" })));
    const first = await claim({ queues });
    expect(argsOf(first)).toEqual(["a1", "a2", "a3"]);
    await complete(first.map((t) => t.id));
    expect(await claim({ queues, workerId: "w2" })).toEqual([]);
  });

  it("runs at most concurrencyLimit tasks per key, in order, while other keys run", async () => {
    await insert(
      { args: ["a1"], concurrencyKey: "customer:a" },
      { args: ["a2"], concurrencyKey: "customer:a" },
      { args: ["b1"], concurrencyKey: "customer:b", concurrencyLimit: 2 },
      { args: ["b2"], concurrencyKey: "customer:b", concurrencyLimit: 2 },
      { args: ["b3"], concurrencyKey: "customer:b", concurrencyLimit: 2 },
      { args: ["free"] },
    );
    const first = await claim();
    expect(argsOf(first).sort()).toEqual(["a1", "b1", "b2", "free"]);
    expect(first.find((t) => t.args[0] === "a1")).toMatchObject({ concurrencyKey: "customer:a", concurrencyLimit: 1 });
    expect(await claim({ workerId: "w2" })).toEqual([]);
    await complete(first.filter((t) => t.args[0] === "a1" || t.args[0] === "b2").map((t) => t.id));
    expect(argsOf(await claim({ workerId: "w2" })).sort()).toEqual(["a2", "b3"]);
  });

  it("frees a key's slot when its worker's lease lapses and the task is rescued", async () => {
    await insert({ args: ["k1"], concurrencyKey: "k" }, { args: ["k2"], concurrencyKey: "k" });
    const [held] = await store.taskClaimBatch({
      queues: "*",
      limit: 1,
      workerId: "dead",
      leaseSeconds: 0.05,
      flow: { queues: {}, freeSlots: 1 },
    });
    expect(held?.args).toEqual(["k1"]);
    expect(await claim()).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect((await store.taskRescueExpired()).map((t) => t.id)).toEqual([held!.id]);
    // One of the key's tasks (the rescued one is due again after a backoff, or now).
    const next = await claim();
    expect(next).toHaveLength(1);
    expect(next[0]!.concurrencyKey).toBe("k");
  });

  it("lists queues with tasks, paused or configured: counts, oldest due, pause state and limits", async () => {
    const [oldest] = await insert(
      { queueName: "email", runAfter: secondsAgo(3000) },
      { queueName: "email" },
      { queueName: "bulk" },
    );
    await store.queuePause({ name: "email" });
    await store.queuePause({ name: "idle" });
    const [running] = await store.taskClaimBatch({ queues: ["bulk"], limit: 1, workerId: "w1", leaseSeconds: 30 });
    expect(running).toBeDefined();
    const queues = await store.queueList({
      settings: {
        email: { concurrency: 5, rateLimit: { limit: 100, periodSeconds: 60 } },
        configured: { concurrency: 1 },
      },
    });
    expect(queues.map((q) => q.name)).toEqual(["bulk", "configured", "email", "idle"]);
    const byName = Object.fromEntries(queues.map((q) => [q.name, q]));
    expect(byName.email).toMatchObject({
      paused: true,
      pending: 2,
      running: 0,
      failed: 0,
      concurrency: 5,
      rateLimit: { limit: 100, periodSeconds: 60 },
    });
    expect(byName.email!.oldestDueAt).toEqual(oldest!.runAfter);
    expect(byName.bulk).toMatchObject({ paused: false, pending: 0, running: 1, oldestDueAt: null, concurrency: null });
    expect(byName.idle).toMatchObject({ paused: true, pending: 0, rateLimit: null });
    expect(byName.configured).toMatchObject({ paused: false, concurrency: 1 });
  });

  it("retries FAILED tasks in bulk by filter, in batches, leaving a taken unique key FAILED", async () => {
    const tasks = await insert(
      ...Array.from({ length: 5 }, (_, i) => ({ args: [`e${i}`], queueName: "email" })),
      { args: ["other"], queueName: "bulk" },
      { args: ["keyed"], queueName: "email", uniqueKey: "u1" },
    );
    const claimed = await store.taskClaimBatch({ queues: "*", limit: 10, workerId: "w1", leaseSeconds: 30 });
    await store.taskFail({
      workerId: "w1",
      failures: claimed.map((t) => ({ id: t.id, error: failure(1), retryDelay: null })),
    });
    await insert({ args: ["holder"], queueName: "email", uniqueKey: "u1" });
    const n = await store.taskRetryMany({ filter: { status: "FAILED", queueName: "email" }, batchSize: 2 });
    expect(n).toBe(5);
    const after = await Promise.all(tasks.map((t) => store.taskGet({ id: t.id })));
    expect(after.map((t) => t!.status)).toEqual([
      "PENDING",
      "PENDING",
      "PENDING",
      "PENDING",
      "PENDING",
      "FAILED",
      "FAILED",
    ]);
    expect(await store.taskRetryMany({ filter: { taskName: "nothing.like.this" } })).toBe(0);
  });

  it("cancels PENDING tasks in bulk by filter, with a TaskCancelled error", async () => {
    const old = await insert({ args: ["old"], queueName: "email" });
    const cutoff = new Date(Date.now() + 1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await insert({ args: ["new"], queueName: "email" }, { args: ["other"], queueName: "bulk" });
    expect(await store.taskCancelMany({ filter: { queueName: "email", enqueuedBefore: cutoff }, batchSize: 1 })).toBe(
      1,
    );
    const cancelled = await store.taskGet({ id: old[0]!.id });
    expect(cancelled).toMatchObject({ status: "FAILED" });
    expect(cancelled!.errors.at(-1)?.exceptionClass).toBe("TaskCancelled");
    expect(await store.taskCancelMany({ filter: { queueName: "email" } })).toBe(1);
    expect(argsOf(await claim())).toEqual(["other"]);
  });
});
