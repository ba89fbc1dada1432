// Property test of the task state machine: random sequences of enqueue, claim, complete,
// fail, release, renew, cancel, retry, lease lapse and rescue, run against both stores at
// once. After every step the rows must satisfy the invariants below, no task may be held by
// two workers, and both stores must agree on every task's status, attempts and errors.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import type { TaskRecord } from "@errand/core";
import { MemoryTaskStore, PostgresTaskStore, type TaskStore } from "@errand/core/internal";
import { createTestDatabase, enqueueRequest, type TestDatabase } from "@errand/core/testing";

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(() => tdb?.drop());

const WORKERS = ["w1", "w2"] as const;
type WorkerId = (typeof WORKERS)[number];

/** One step; task indexes are into the tasks inserted so far (modulo their count). */
type Step =
  | { op: "insert"; count: number; maxAttempts: number }
  | { op: "claim"; worker: WorkerId; limit: number; shortLease: boolean }
  | { op: "complete" | "release" | "renew"; worker: WorkerId; picks: number[] }
  | { op: "fail"; worker: WorkerId; picks: number[]; retry: boolean }
  | { op: "cancel" | "retry"; pick: number }
  | { op: "lapseAndRescue" };

const worker = fc.constantFrom(...WORKERS);
const picks = fc.array(fc.nat(20), { minLength: 1, maxLength: 3 });
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    op: fc.constant("insert" as const),
    count: fc.integer({ min: 1, max: 3 }),
    maxAttempts: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({
    op: fc.constant("claim" as const),
    worker,
    limit: fc.integer({ min: 1, max: 3 }),
    shortLease: fc.boolean(),
  }),
  fc.record({ op: fc.constantFrom("complete" as const, "release" as const, "renew" as const), worker, picks }),
  fc.record({ op: fc.constant("fail" as const), worker, picks, retry: fc.boolean() }),
  fc.record({ op: fc.constantFrom("cancel" as const, "retry" as const), pick: fc.nat(20) }),
  fc.record({ op: fc.constant("lapseAndRescue" as const) }),
);

/** One store under test, with the ids it gave the inserted tasks, in insertion order. */
interface Run {
  name: string;
  store: TaskStore;
  ids: string[];
  /** Which worker holds which task, as the claims and their answers say. */
  holder: Map<string, WorkerId>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const pickIds = (run: Run, indexes: number[]) =>
  run.ids.length === 0 ? [] : [...new Set(indexes.map((i) => run.ids[i % run.ids.length]!))];

async function apply(run: Run, s: Step): Promise<void> {
  const { store, holder } = run;
  switch (s.op) {
    case "insert": {
      const tasks = Array.from({ length: s.count }, () =>
        enqueueRequest({ taskName: "prop.t", maxAttempts: s.maxAttempts }),
      );
      const records = await store.taskInsert({ backend: "default", tasks });
      run.ids.push(...records.map((r) => r.id));
      return;
    }
    case "claim": {
      const claimed = await store.taskClaimBatch({
        queues: "*",
        limit: s.limit,
        workerId: s.worker,
        leaseSeconds: s.shortLease ? 0.001 : 300,
      });
      for (const r of claimed) {
        // Never handed to a second worker while another holds it.
        expect(holder.get(r.id), `${run.name}: ${r.id} claimed while held`).toBeUndefined();
        holder.set(r.id, s.worker);
      }
      return;
    }
    case "complete": {
      const ids = pickIds(run, s.picks);
      const done = await store.taskComplete({
        workerId: s.worker,
        results: ids.map((id) => ({ id, returnValue: "1" })),
      });
      for (const r of done) {
        expect(holder.get(r.id), `${run.name}: completed by a non-holder`).toBe(s.worker);
        holder.delete(r.id);
      }
      return;
    }
    case "fail": {
      const ids = pickIds(run, s.picks);
      const error = {
        exceptionClass: "Error",
        message: "boom",
        traceback: "Error: boom",
        attempt: 1,
        failedAt: new Date().toISOString(),
      };
      const failed = await store.taskFail({
        workerId: s.worker,
        failures: ids.map((id) => ({ id, error, retryDelay: s.retry ? 0 : null })),
      });
      for (const r of failed) {
        expect(holder.get(r.id), `${run.name}: failed by a non-holder`).toBe(s.worker);
        holder.delete(r.id);
      }
      return;
    }
    case "release": {
      const released = await store.taskRelease({ workerId: s.worker, ids: pickIds(run, s.picks) });
      for (const r of released) {
        expect(holder.get(r.id)).toBe(s.worker);
        holder.delete(r.id);
      }
      return;
    }
    case "renew": {
      const ids = pickIds(run, s.picks);
      const kept = await store.taskRenewLease({ workerId: s.worker, ids, leaseSeconds: 300 });
      for (const id of kept) expect(holder.get(id)).toBe(s.worker);
      return;
    }
    case "cancel":
    case "retry": {
      if (run.ids.length === 0) return;
      const id = run.ids[s.pick % run.ids.length]!;
      if (s.op === "cancel") await store.taskCancel({ id });
      else await store.taskRetry({ id });
      return;
    }
    case "lapseAndRescue": {
      await sleep(5);
      for (const r of await store.taskRescueExpired()) holder.delete(r.id);
      return;
    }
  }
}

/** Every task's record, in insertion order. */
async function records(run: Run): Promise<TaskRecord[]> {
  return Promise.all(run.ids.map(async (id) => (await run.store.taskGet({ id }))!));
}

function checkInvariants(name: string, all: TaskRecord[], holder: Map<string, WorkerId>): void {
  for (const r of all) {
    const where = `${name} task ${r.id} ${r.status} attempts=${r.attempts}/${r.maxAttempts}`;
    expect(["PENDING", "RUNNING", "SUCCESSFUL", "FAILED"], where).toContain(r.status);
    expect(r.attempts === 0, where).toBe(r.startedAt === null && r.lastAttemptedAt === null);
    expect(r.workerIds, where).toHaveLength(r.attempts);
    expect(r.attempts, where).toBeLessThanOrEqual(r.maxAttempts);
    if (r.status === "PENDING") expect(r.attempts, where).toBeLessThan(r.maxAttempts);
    expect(r.finishedAt !== null, where).toBe(r.status === "SUCCESSFUL" || r.status === "FAILED");
    if (r.status !== "SUCCESSFUL") expect(r.returnValue, where).toBeUndefined();
    else expect(r.attempts, where).toBeGreaterThanOrEqual(1);
    // Each attempt adds at most one error; each cancel of a PENDING task one more (a task
    // cancelled, retried and cancelled again has two errors and no attempt).
    expect(r.errors.filter((e) => e.exceptionClass !== "TaskCancelled").length, where).toBeLessThanOrEqual(r.attempts);
    for (const e of r.errors) expect(e.attempt, where).toBeLessThanOrEqual(r.attempts);
    // Held exactly while RUNNING.
    expect(holder.has(r.id), where).toBe(r.status === "RUNNING");
  }
}

const shape = (all: TaskRecord[]) =>
  all.map((r) => `${r.status}/${r.attempts}/${r.maxAttempts}/${r.errors.map((e) => e.exceptionClass).join(",")}`);

describe("the task state machine (fast-check)", () => {
  it("keeps its invariants under random sequences, the same in both stores", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
        await tdb.db.deleteFrom("errand_tasks").execute();
        const runs: Run[] = [
          { name: "postgres", store: new PostgresTaskStore(tdb.db), ids: [], holder: new Map() },
          { name: "memory", store: new MemoryTaskStore(), ids: [], holder: new Map() },
        ];
        for (const s of steps) {
          for (const run of runs) await apply(run, s);
          const [pg, memory] = await Promise.all(runs.map(records));
          checkInvariants("postgres", pg!, runs[0]!.holder);
          checkInvariants("memory", memory!, runs[1]!.holder);
          expect(shape(memory!), JSON.stringify(s)).toEqual(shape(pg!));
        }
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});
