import { sql } from "kysely";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MemoryTaskStore, PostgresTaskStore, type TaskStore, type EnqueueRequest } from "@errand/core/internal";
import { createTestDatabase, enqueueRequest, type TestDatabase } from "@errand/core/testing";

// One state machine, two stores: every case runs against Postgres and against memory, the
// same way. Nothing here is special-cased per store.
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
      // The lag and duration histograms outlive the tasks they sampled.
      await sql`DELETE FROM errand_task_timings`.execute(tdb.db);
      return new PostgresTaskStore(tdb.db);
    },
  },
  { name: "MemoryTaskStore", make: async (): Promise<TaskStore> => new MemoryTaskStore() },
];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MISSING = "00000000-0000-4000-8000-000000000000";
const secondsAgo = (s: number) => new Date(Date.now() - s * 1000);

/** A request for a task due now, named "store.t". */
function request(overrides: Partial<EnqueueRequest> = {}): EnqueueRequest {
  return enqueueRequest({ taskName: "store.t", ...overrides });
}

const boom = (attempt: number) => ({
  exceptionClass: "Error",
  message: "boom",
  traceback: "Error: boom\n    at here",
  attempt,
  failedAt: new Date().toISOString(),
});

describe.each(stores)("$name", ({ make }) => {
  let store: TaskStore;
  beforeEach(async () => {
    store = await make();
  });

  const insert = async (...overrides: Partial<EnqueueRequest>[]) =>
    store.taskInsert({ backend: "default", tasks: overrides.map(request) });
  const claim = (options: { workerId?: string; limit?: number; leaseSeconds?: number; queues?: string[] } = {}) =>
    store.taskClaimBatch({
      queues: options.queues ?? "*",
      limit: options.limit ?? 10,
      workerId: options.workerId ?? "w1",
      leaseSeconds: options.leaseSeconds ?? 30,
    });
  const argsOf = (records: { args: unknown[] }[]) => records.map((r) => r.args[0]);

  it("inserts PENDING tasks in input order and gets them by id, whatever its case", async () => {
    const when = secondsAgo(5);
    const [a, b] = await insert({ args: ["a"], creator: { type: "user", id: "7" } }, { args: ["b"], runAfter: when });
    expect(a!.id).toMatch(UUID);
    expect(a).toMatchObject({ status: "PENDING", attempts: 0, workerIds: [], errors: [], backend: "default" });
    expect(a!.runAfter.getTime()).toBe(a!.enqueuedAt.getTime());
    expect(b!.runAfter.getTime()).toBe(when.getTime());
    expect(await store.taskGet({ id: a!.id })).toEqual(a);
    expect((await store.taskGet({ id: b!.id.toUpperCase() }))?.args).toEqual(["b"]);
    expect(await store.taskGet({ id: MISSING })).toBeUndefined();
    expect(await store.taskGet({ id: "not-a-uuid" })).toBeUndefined();
  });

  it("claims due tasks by priority, then run_after, then enqueue order, under a lease", async () => {
    await insert(
      { args: ["low"], priority: -5, runAfter: secondsAgo(100) },
      { args: ["high-late"], priority: 10, runAfter: secondsAgo(1) },
      { args: ["high-early"], priority: 10, runAfter: secondsAgo(50) },
    );
    const same = secondsAgo(10);
    await insert({ args: ["mid-1"], runAfter: same });
    await insert({ args: ["mid-2"], runAfter: same }, { args: ["future"], priority: 100, runAfter: secondsAgo(-60) });
    expect(await claim({ limit: 0 })).toEqual([]);
    const first = await claim({ limit: 2 });
    expect(argsOf(first)).toEqual(["high-early", "high-late"]);
    const rest = await claim({ workerId: "w2" });
    expect(argsOf(rest)).toEqual(["mid-1", "mid-2", "low"]);
    for (const r of first) {
      expect(r).toMatchObject({ status: "RUNNING", attempts: 1, workerIds: ["w1"] });
      expect(r.startedAt).toBeInstanceOf(Date);
      expect(r.lastAttemptedAt).toBeInstanceOf(Date);
    }
    expect(await claim()).toEqual([]);
  });

  it("claims only the queues and ids asked for", async () => {
    const [a, , c] = await insert({ args: ["a"], queueName: "email" }, { args: ["b"] }, { args: ["c"] });
    expect(argsOf(await claim({ queues: ["email"] }))).toEqual(["a"]);
    const excluded = await store.taskClaimBatch({
      queues: "*",
      excludeQueues: ["default"],
      limit: 5,
      workerId: "w",
      leaseSeconds: 30,
    });
    expect(excluded).toEqual([]);
    const byId = await store.taskClaimBatch({ queues: "*", ids: [c!.id], limit: 5, workerId: "w", leaseSeconds: 30 });
    expect(argsOf(byId)).toEqual(["c"]);
    expect(a).toBeDefined();
  });

  it("claims and prunes only a backend alias's tasks when asked (two aliases may share a database)", async () => {
    await insert({ args: ["mine"] });
    const [theirs] = await store.taskInsert({ backend: "reports", tasks: [request({ args: ["theirs"] })] });
    const mine = await store.taskClaimBatch({
      queues: "*",
      backend: "default",
      limit: 5,
      workerId: "w",
      leaseSeconds: 30,
    });
    expect(argsOf(mine)).toEqual(["mine"]);
    const other = await store.taskClaimBatch({
      queues: "*",
      backend: "reports",
      limit: 5,
      workerId: "w",
      leaseSeconds: 30,
    });
    expect(argsOf(other)).toEqual(["theirs"]);
    await store.taskComplete({
      workerId: "w",
      results: [...mine, ...other].map((t) => ({ id: t.id, returnValue: "1" })),
    });
    expect(await store.taskPrune({ age: 0, backend: "reports" })).toBe(1);
    expect(await store.taskGet({ id: theirs!.id })).toBeUndefined();
    expect(await store.taskPrune({ age: 0, backend: "default", dryRun: true })).toBe(1);
  });

  it("completes only tasks the worker holds", async () => {
    await insert({ args: ["x"] });
    const [t] = await claim();
    expect(await store.taskComplete({ workerId: "other", results: [{ id: t!.id, returnValue: "1" }] })).toEqual([]);
    const [done] = await store.taskComplete({ workerId: "w1", results: [{ id: t!.id, returnValue: '{"ok":true}' }] });
    expect(done).toMatchObject({ status: "SUCCESSFUL", returnValue: { ok: true }, attempts: 1 });
    expect(done!.finishedAt).toBeInstanceOf(Date);
    expect(await store.taskComplete({ workerId: "w1", results: [{ id: t!.id, returnValue: "2" }] })).toEqual([]);
    expect(await store.taskGet({ id: t!.id })).toEqual(done);
  });

  it("retries a failed attempt after its backoff, and fails for good when attempts run out", async () => {
    const [t] = await insert({ maxAttempts: 2 });
    await claim();
    const [backoff] = await store.taskFail({
      workerId: "w1",
      failures: [{ id: t!.id, error: boom(1), retryDelay: 3600 }],
    });
    expect(backoff).toMatchObject({ status: "PENDING", attempts: 1, finishedAt: null });
    expect(backoff!.errors).toEqual([expect.objectContaining({ exceptionClass: "Error", attempt: 1 })]);
    expect(backoff!.errors[0]!.failedAt).toBeInstanceOf(Date);
    expect(backoff!.runAfter.getTime()).toBeGreaterThan(Date.now() + 3_500_000);
    expect(await claim()).toEqual([]);
    // A due retry is claimed again; on its last attempt a retry delay no longer helps.
    const [t2] = await insert({ maxAttempts: 2 });
    await claim();
    await store.taskFail({ workerId: "w1", failures: [{ id: t2!.id, error: boom(1), retryDelay: 0 }] });
    const [again] = await claim();
    expect(again).toMatchObject({ id: t2!.id, attempts: 2, workerIds: ["w1", "w1"] });
    const [failed] = await store.taskFail({
      workerId: "w1",
      failures: [{ id: t2!.id, error: boom(2), retryDelay: 0 }],
    });
    expect(failed).toMatchObject({ status: "FAILED", attempts: 2 });
    expect(failed!.errors.map((e) => e.attempt)).toEqual([1, 2]);
    expect(failed!.finishedAt).toBeInstanceOf(Date);
  });

  it("fails at once without a retry delay, and ignores failures from a worker that lost the task", async () => {
    const [t] = await insert({});
    await claim();
    const failure = { id: t!.id, error: boom(1), retryDelay: null };
    expect(await store.taskFail({ workerId: "w9", failures: [failure] })).toEqual([]);
    const [failed] = await store.taskFail({ workerId: "w1", failures: [failure] });
    expect(failed).toMatchObject({ status: "FAILED", attempts: 1 });
  });

  it("schedules a repeating task's next run from its original time, skipping missed slots", async () => {
    const scheduled = secondsAgo(5000);
    const [t] = await insert({ args: ["r"], repeat: 3600, runAfter: scheduled });
    await claim();
    await store.taskComplete({ workerId: "w1", results: [{ id: t!.id, returnValue: "null" }] });
    const pending = (await store.taskList({ status: "PENDING" })).items;
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({ args: ["r"], repeat: 3600, attempts: 0 });
    expect(pending[0]!.id).not.toBe(t!.id);
    expect(pending[0]!.runAfter.getTime()).toBe(scheduled.getTime() + 2 * 3600_000);
  });

  it("stops repeating past repeatUntil, and when asked not to schedule repeats", async () => {
    const [a, b] = await insert(
      { repeat: 3600, repeatUntil: secondsAgo(-60) },
      { repeat: 60, runAfter: secondsAgo(1) },
    );
    await claim();
    await store.taskComplete({ workerId: "w1", results: [{ id: a!.id, returnValue: "1" }] });
    await store.taskComplete({ workerId: "w1", results: [{ id: b!.id, returnValue: "1" }], scheduleRepeats: false });
    expect((await store.taskList({ status: "PENDING" })).items).toEqual([]);
  });

  it("renews leases only for their holder, and rescues lapsed ones", async () => {
    const [live, lapsed, last] = await insert(
      { args: ["live"] },
      { args: ["lapsed"] },
      { args: ["last"], maxAttempts: 1 },
    );
    await store.taskClaimBatch({ queues: "*", ids: [live!.id], limit: 1, workerId: "w1", leaseSeconds: 30 });
    await store.taskClaimBatch({
      queues: "*",
      ids: [lapsed!.id, last!.id],
      limit: 2,
      workerId: "dead",
      leaseSeconds: -1,
    });
    expect(await store.taskRenewLease({ workerId: "w1", ids: [live!.id, lapsed!.id], leaseSeconds: 30 })).toEqual([
      live!.id,
    ]);
    const rescued = await store.taskRescueExpired();
    expect(rescued.map((r) => r.args[0]).sort()).toEqual(["lapsed", "last"]);
    const requeued = rescued.find((r) => r.id === lapsed!.id)!;
    expect(requeued).toMatchObject({ status: "PENDING", attempts: 1, finishedAt: null });
    expect(requeued.errors[0]).toMatchObject({ exceptionClass: "LeaseExpired", attempt: 1 });
    expect(requeued.errors[0]!.message).toBe(
      "Worker dead stopped renewing its lease (killed, or cut off from the database) while running this attempt.",
    );
    expect(requeued.errors[0]!.traceback).toMatch(
      /^LeaseExpired: lease held by dead lapsed at \d{4}-\d\d-\d\dT[\d:.]{12}Z$/,
    );
    expect(rescued.find((r) => r.id === last!.id)).toMatchObject({ status: "FAILED", attempts: 1 });
    // The worker that lost it can no longer finish or renew it; another worker runs it.
    expect(await store.taskComplete({ workerId: "dead", results: [{ id: lapsed!.id, returnValue: "1" }] })).toEqual([]);
    expect(await store.taskRenewLease({ workerId: "dead", ids: [lapsed!.id], leaseSeconds: 30 })).toEqual([]);
    expect(argsOf(await claim({ workerId: "w2" }))).toEqual(["lapsed"]);
    expect(await store.taskRescueExpired()).toEqual([]);
  });

  it("releases claimed tasks as if never claimed", async () => {
    const [a, b] = await insert({ args: ["a"] }, { args: ["b"], runAfter: secondsAgo(1) });
    await claim();
    await store.taskFail({ workerId: "w1", failures: [{ id: b!.id, error: boom(1), retryDelay: 0 }] });
    const [second] = await claim({ workerId: "w2" });
    expect(await store.taskRelease({ workerId: "w1", ids: [second!.id] })).toEqual([]);
    const released = await store.taskRelease({ workerId: "w2", ids: [b!.id] });
    expect(released[0]).toMatchObject({ status: "PENDING", attempts: 1, workerIds: ["w1"] });
    expect(released[0]!.startedAt).toBeInstanceOf(Date);
    const [first] = await store.taskRelease({ workerId: "w1", ids: [a!.id] });
    expect(first).toMatchObject({
      status: "PENDING",
      attempts: 0,
      workerIds: [],
      startedAt: null,
      lastAttemptedAt: null,
    });
  });

  it("stores progress for the holder only", async () => {
    const [t] = await insert({});
    await claim();
    expect(await store.taskSetProgress({ id: t!.id, workerId: "w2", done: 1, total: 2 })).toBe(false);
    expect(await store.taskSetProgress({ id: t!.id, workerId: "w1", done: 1, total: 2 })).toBe(true);
    expect((await store.taskGet({ id: t!.id }))?.progress).toEqual({ done: 1, total: 2 });
  });

  it("cancels a PENDING task at once, with a TaskCancelled error, and not a finished one", async () => {
    const [pending, done] = await insert({ args: ["p"], runAfter: secondsAgo(-60) }, { args: ["d"] });
    await claim();
    await store.taskComplete({ workerId: "w1", results: [{ id: done!.id, returnValue: "1" }] });
    const cancelled = await store.taskCancel({ id: pending!.id.toUpperCase() });
    expect(cancelled).toMatchObject({ id: pending!.id, status: "FAILED", cancelRequestedAt: null });
    expect(cancelled!.finishedAt).toBeInstanceOf(Date);
    expect(cancelled!.errors).toEqual([
      expect.objectContaining({ exceptionClass: "TaskCancelled", message: "Cancelled before it started.", attempt: 0 }),
    ]);
    expect(await store.taskCancel({ id: pending!.id })).toBeUndefined();
    expect(await store.taskCancel({ id: done!.id })).toBeUndefined();
    expect(await store.taskCancel({ id: MISSING })).toBeUndefined();
    expect(await store.taskCancel({ id: "nope" })).toBeUndefined();
  });

  it("records a cancel of a RUNNING task for its worker, and never stores it SUCCESSFUL nor retries it", async () => {
    const [returns, throws, lapses, queued, untouched] = await insert(
      { args: ["returns"] },
      { args: ["throws"] },
      { args: ["lapses"] },
      { args: ["queued"] },
      { args: ["untouched"] },
    );
    await store.taskClaimBatch({ queues: "*", ids: [lapses!.id], limit: 1, workerId: "dead", leaseSeconds: -1 });
    await claim();
    for (const t of [returns, throws, lapses, queued]) {
      const requested = await store.taskCancel({ id: t!.id });
      expect(requested).toMatchObject({ id: t!.id, status: "RUNNING" });
      expect(requested!.cancelRequestedAt).toBeInstanceOf(Date);
    }
    // Asking twice keeps the first time.
    const again = await store.taskCancel({ id: returns!.id });
    expect((await store.taskGet({ id: returns!.id }))!.cancelRequestedAt).toEqual(again!.cancelRequestedAt);
    expect((await store.taskCancelRequested({ workerId: "w1" })).sort()).toEqual(
      [returns!.id, throws!.id, queued!.id].sort(),
    );
    expect(await store.taskCancelRequested({ workerId: "w2" })).toEqual([]);

    // A function that ignored its signal and returned: FAILED, its value dropped.
    const [completed] = await store.taskComplete({ workerId: "w1", results: [{ id: returns!.id, returnValue: "42" }] });
    expect(completed).toMatchObject({ status: "FAILED", returnValue: undefined });
    expect(completed!.errors).toEqual([expect.objectContaining({ exceptionClass: "TaskCancelled", attempt: 1 })]);
    // A failure asking for a retry: FAILED all the same.
    const [failed] = await store.taskFail({
      workerId: "w1",
      failures: [{ id: throws!.id, error: { ...boom(1), exceptionClass: "TaskCancelled" }, retryDelay: 0 }],
    });
    expect(failed).toMatchObject({ status: "FAILED", attempts: 1 });
    // A lapsed lease: FAILED, not re-queued.
    const rescued = await store.taskRescueExpired();
    expect(rescued.map((r) => [r.id, r.status])).toEqual([[lapses!.id, "FAILED"]]);
    // Claimed ahead, never started: FAILED as a cancelled PENDING task.
    const [released] = await store.taskRelease({ workerId: "w1", ids: [queued!.id] });
    expect(released).toMatchObject({ status: "FAILED", attempts: 0, cancelRequestedAt: null });
    expect(released!.errors).toEqual([expect.objectContaining({ exceptionClass: "TaskCancelled" })]);
    // The one nobody cancelled completes.
    const [ok] = await store.taskComplete({ workerId: "w1", results: [{ id: untouched!.id, returnValue: "1" }] });
    expect(ok).toMatchObject({ status: "SUCCESSFUL", returnValue: 1 });
    expect(await store.taskCancelRequested({ workerId: "w1" })).toEqual([]);
    // A retry starts afresh.
    expect(await store.taskRetry({ id: returns!.id })).toMatchObject({ status: "PENDING", cancelRequestedAt: null });
  });

  it("stores nothing for a unique key a PENDING or RUNNING task holds, and answers with that task", async () => {
    const [first] = await insert({ args: [1], uniqueKey: "order:1" });
    expect(first).toMatchObject({ uniqueKey: "order:1", status: "PENDING" });
    expect(first!.deduplicated).toBeUndefined();
    const [same] = await insert({ args: [2], uniqueKey: "order:1" });
    expect(same).toMatchObject({ id: first!.id, args: [1], deduplicated: true });
    await claim();
    const [whileRunning] = await insert({ args: [3], uniqueKey: "order:1" });
    expect(whileRunning).toMatchObject({ id: first!.id, status: "RUNNING", deduplicated: true });
    // In one batch: keyed, unkeyed and repeated keys, answered in input order.
    const batch = await insert(
      { args: ["a"], uniqueKey: "k:a" },
      { args: ["free"] },
      { args: ["a again"], uniqueKey: "k:a" },
      { args: ["order"], uniqueKey: "order:1" },
      { args: ["b"], uniqueKey: "k:b" },
    );
    expect(batch.map((r) => r.args[0])).toEqual(["a", "free", "a", 1, "b"]);
    expect(batch.map((r) => r.deduplicated === true)).toEqual([false, false, true, true, false]);
    expect(batch[2]!.id).toBe(batch[0]!.id);
    const all = await store.taskList({ limit: 100 });
    expect(all.items.map((r) => r.args[0]).sort()).toEqual([1, "a", "b", "free"].sort());
    // Finished, the key is free again.
    await store.taskComplete({ workerId: "w1", results: [{ id: first!.id, returnValue: "null" }] });
    const [next] = await insert({ args: [4], uniqueKey: "order:1" });
    expect(next).toMatchObject({ args: [4], status: "PENDING" });
    expect(next!.id).not.toBe(first!.id);
    // A FAILED task is not retried while another holds its key.
    const b = batch[4]!;
    await store.taskClaimBatch({ queues: "*", ids: [b.id], limit: 1, workerId: "w3", leaseSeconds: 30 });
    await store.taskFail({ workerId: "w3", failures: [{ id: b.id, error: boom(1), retryDelay: null }] });
    await insert({ args: ["holder"], uniqueKey: "k:b" });
    expect(await store.taskRetry({ id: b.id })).toBeUndefined();
    expect(await store.taskGet({ id: b.id })).toMatchObject({ status: "FAILED" });
  });

  it("retries FAILED tasks only, on the same row, with one more attempt allowed", async () => {
    const [t, other] = await insert({ maxAttempts: 1, args: ["t"] }, { args: ["other"], runAfter: secondsAgo(-60) });
    await claim();
    await store.taskFail({ workerId: "w1", failures: [{ id: t!.id, error: boom(1), retryDelay: 5 }] });
    expect(await store.taskRetry({ id: other!.id })).toBeUndefined();
    expect(await store.taskRetry({ id: MISSING })).toBeUndefined();
    const retried = await store.taskRetry({ id: t!.id.toUpperCase() });
    expect(retried).toMatchObject({ id: t!.id, status: "PENDING", finishedAt: null, attempts: 1, maxAttempts: 2 });
    expect(retried!.errors).toHaveLength(1);
    expect(retried!.runAfter.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
    expect(await store.taskRetry({ id: t!.id })).toBeUndefined();
    expect(argsOf(await claim())).toEqual(["t"]);
  });

  it("prunes finished tasks only, by age, status and queue, or counts them", async () => {
    const [ok, bad, mail] = await insert({ args: ["ok"] }, { args: ["bad"] }, { args: ["mail"], queueName: "email" });
    await insert({ args: ["pending"] }, { args: ["later"], runAfter: secondsAgo(-60) });
    await store.taskClaimBatch({
      queues: "*",
      ids: [ok!.id, bad!.id, mail!.id],
      limit: 3,
      workerId: "w1",
      leaseSeconds: 30,
    });
    await store.taskComplete({ workerId: "w1", results: [ok, mail].map((t) => ({ id: t!.id, returnValue: "1" })) });
    await store.taskFail({ workerId: "w1", failures: [{ id: bad!.id, error: boom(1), retryDelay: null }] });
    await claim();
    expect(await store.taskPrune({ age: 3600 })).toBe(0);
    expect(await store.taskPrune({ age: 0, dryRun: true })).toBe(3);
    expect(await store.taskPrune({ age: 0, statuses: ["FAILED"] })).toBe(1);
    expect(await store.taskPrune({ age: 0, queueName: "email" })).toBe(1);
    expect(await store.taskPrune({ age: 0 })).toBe(1);
    const left = (await store.taskList({})).items;
    expect(left.map((r) => `${String(r.args[0])}:${r.status}`).sort()).toEqual(["later:PENDING", "pending:RUNNING"]);
  });

  it("deletes retention batches by status, oldest first, by the cut-off prune uses", async () => {
    const [ok, bad, mail] = await insert({ args: ["ok"] }, { args: ["bad"] }, { args: ["mail"] });
    await insert({ args: ["pending"] });
    await store.taskClaimBatch({
      queues: "*",
      ids: [ok!.id, bad!.id, mail!.id],
      limit: 3,
      workerId: "w1",
      leaseSeconds: 30,
    });
    await store.taskComplete({ workerId: "w1", results: [{ id: ok!.id, returnValue: "1" }] });
    await store.taskFail({ workerId: "w1", failures: [{ id: bad!.id, error: boom(1), retryDelay: null }] });
    await store.taskComplete({ workerId: "w1", results: [{ id: mail!.id, returnValue: "1" }] });
    const retain = (successfulSeconds: number | null, failedSeconds: number | null, limit = 10) =>
      store.taskRetentionPrune({ successfulSeconds, failedSeconds, limit });
    // Not yet an hour old: kept; prune by the same age agrees.
    expect(await retain(3600, 3600)).toEqual({ successful: 0, failed: 0 });
    expect(await store.taskPrune({ age: 3600, dryRun: true })).toBe(0);
    expect(await store.taskPrune({ age: 0, dryRun: true })).toBe(3);
    // Each status by its own retention; `null` keeps it.
    expect(await retain(null, 0)).toEqual({ successful: 0, failed: 1 });
    // A batch takes the oldest finished first.
    expect(await retain(0, null, 1)).toEqual({ successful: 1, failed: 0 });
    expect(await store.taskGet({ id: ok!.id })).toBeUndefined();
    expect((await store.taskGet({ id: mail!.id }))?.status).toBe("SUCCESSFUL");
    expect(await retain(0, 0)).toEqual({ successful: 1, failed: 0 });
    expect(await retain(0, 0)).toEqual({ successful: 0, failed: 0 });
    expect(await store.taskPrune({ age: 0, dryRun: true })).toBe(0);
    expect(argsOf((await store.taskList({})).items)).toEqual(["pending"]);
  });

  it("lists newest first, filtered, a page at a time", async () => {
    await insert({ args: [1] }, { args: [2], queueName: "email" }, { args: [3] }, { args: [4] }, { args: [5] });
    const page1 = await store.taskList({ limit: 2 });
    expect(argsOf(page1.items)).toEqual([5, 4]);
    const page2 = await store.taskList({ limit: 2, cursor: page1.nextCursor! });
    expect(argsOf(page2.items)).toEqual([3, 2]);
    const page3 = await store.taskList({ limit: 2, cursor: page2.nextCursor! });
    expect(argsOf(page3.items)).toEqual([1]);
    expect(page3.nextCursor).toBeNull();
    expect(argsOf((await store.taskList({ queueName: "email" })).items)).toEqual([2]);
    expect((await store.taskList({ status: "RUNNING" })).items).toEqual([]);
    expect((await store.taskList({ taskName: "store.t" })).items).toHaveLength(5);
  });

  it("counts by status and queue, with throughput and the oldest due task", async () => {
    const due = secondsAgo(30);
    const [a] = await insert({ runAfter: due }, { queueName: "email" }, { runAfter: secondsAgo(-60) });
    await store.taskClaimBatch({ queues: "*", ids: [a!.id], limit: 1, workerId: "w1", leaseSeconds: 30 });
    await store.taskComplete({ workerId: "w1", results: [{ id: a!.id, returnValue: "1" }] });
    const stats = await store.taskStats();
    expect(stats.byStatus).toEqual({ PENDING: 2, RUNNING: 0, SUCCESSFUL: 1, FAILED: 0 });
    expect(stats.byQueue).toEqual([
      { queueName: "default", status: expect.any(String) as string, count: 1 },
      { queueName: "default", status: expect.any(String) as string, count: 1 },
      { queueName: "email", status: "PENDING", count: 1 },
    ]);
    expect(stats.throughput.reduce((n, m) => n + m.successful, 0)).toBe(1);
    expect(stats.oldestDueAt).toBeInstanceOf(Date);
    expect(stats.oldestDueAt!.getTime()).toBeLessThanOrEqual(Date.now());
    // The finished task was due 30 s before its claim: one lag and one duration sample.
    expect(stats.timings!.map((t) => [t.queueName, t.lag?.count, t.duration?.count])).toEqual([["default", 1, 1]]);
    expect(stats.timings![0]!.lag!.p50).toBeGreaterThan(30_000 * 0.9);
  });
});
