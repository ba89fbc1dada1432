// The task state machine under random operations (fast-check), run against the Postgres store
// and the memory store at once: enqueue, claim, complete, fail, release, renew, cancel, retry,
// progress, a lease that lapses and the rescue of lapsed leases. After every step:
// - the two stores agree on every task (differential: the memory store is the Postgres
//   store's twin, and the conformance suite cannot try every interleaving);
// - every task, with its lease, satisfies each CHECK constraint of `errand_tasks`
//   (`SCHEMA_INVARIANTS`, one entry per constraint: a second test fails when the schema gains
//   one that is not listed), which the memory store must keep as Postgres does;
// - the state machine's own rules hold: a task is held by one worker at most, exactly while
//   RUNNING, and only its holder completes, fails, releases or renews it; a finished task stays
//   finished unless retried; attempts never exceed `maxAttempts`.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { sql } from "kysely";
import {
  MAX_CONCURRENCY_KEY_LENGTH,
  MAX_DEPENDENCIES,
  MAX_PRIORITY,
  MAX_QUEUE_NAME_LENGTH,
  MAX_TASK_NAME_LENGTH,
  MAX_UNIQUE_KEY_LENGTH,
  MIN_PRIORITY,
} from "@errand/db";
import { isFinishedStatus, TASK_STATUSES, type TaskRecord } from "@errand/core";
import { MemoryTaskStore, PostgresTaskStore, type TaskStore } from "@errand/core/internal";
import { createTestDatabase, enqueueRequest, type TestDatabase } from "@errand/core/testing";

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(() => tdb?.drop());

type Lease = { lockedBy: string | null; lockedUntil: Date | null };

const within = (value: string | null | undefined, max: number) =>
  value === null || value === undefined || (value.length >= 1 && value.length <= max);

/** Each CHECK constraint of `errand_tasks` (without the `errand_tasks_` prefix), on a record and its lease. */
const SCHEMA_INVARIANTS: Record<string, (r: TaskRecord, lease: Lease) => boolean> = {
  args_array: (r) => Array.isArray(r.args),
  attempts_counted: (r) => r.attempts === r.workerIds.length,
  cancel_only_running: (r) => r.cancelRequestedAt === null || r.status !== "PENDING",
  concurrency_key_valid: (r) =>
    (r.concurrencyKey == null) === (r.concurrencyLimit == null) &&
    within(r.concurrencyKey, MAX_CONCURRENCY_KEY_LENGTH) &&
    (r.concurrencyLimit == null || r.concurrencyLimit >= 1),
  creator_complete: (r) =>
    r.creator === null || (typeof r.creator.type === "string" && typeof r.creator.id === "string"),
  depends_on_size: (r) => r.dependsOn.length <= MAX_DEPENDENCIES,
  errors_array: (r) => Array.isArray(r.errors),
  finished_iff_finished_at: (r) => isFinishedStatus(r.status) === (r.finishedAt !== null),
  max_attempts_positive: (r) => r.maxAttempts >= 1,
  priority_range: (r) => r.priority >= MIN_PRIORITY && r.priority <= MAX_PRIORITY,
  progress_valid: (r) => r.progress === null || (r.progress.done >= 0 && (r.progress.total ?? 0) >= 0),
  queue_name_length: (r) => within(r.queueName, MAX_QUEUE_NAME_LENGTH),
  repeat_positive: (r) => r.repeat === null || r.repeat > 0,
  return_value_only_successful: (r) => r.returnValue == null || r.status === "SUCCESSFUL",
  running_iff_locked: (r, lease) =>
    (r.status === "RUNNING") === (lease.lockedBy !== null && lease.lockedUntil !== null),
  started_once_attempted: (r) => (r.attempts === 0) === (r.startedAt === null && r.lastAttemptedAt === null),
  status_valid: (r) => (TASK_STATUSES as readonly string[]).includes(r.status),
  task_name_length: (r) => within(r.taskName, MAX_TASK_NAME_LENGTH),
  traceparent_length: (r) => (r.traceparent ?? "").length <= 55,
  tracestate_length: (r) => (r.tracestate ?? "").length <= 512,
  unique_key_length: (r) => within(r.uniqueKey, MAX_UNIQUE_KEY_LENGTH),
  waiting_on_range: (r) => r.waitingOn >= 0 && r.waitingOn <= r.dependsOn.length,
};

const WORKERS = ["w1", "w2"] as const;
type WorkerId = (typeof WORKERS)[number];

/**
 * One step. Task indexes are into the tasks inserted so far (modulo their count) or, with
 * `own`, into those the step's worker holds: random picks alone would seldom name a task its
 * worker holds, and completions would go untested.
 */
type Step =
  | { op: "insert"; count: number; maxAttempts: number }
  | { op: "claim"; worker: WorkerId; limit: number; lapsed: boolean }
  | { op: "complete" | "release"; worker: WorkerId; picks: number[]; own: boolean }
  | { op: "renew"; worker: WorkerId; picks: number[]; own: boolean; lapsed: boolean }
  | { op: "fail"; worker: WorkerId; picks: number[]; own: boolean; retryDelay: number | null }
  | { op: "progress"; worker: WorkerId; picks: number[]; own: boolean; done: number }
  | { op: "cancel" | "retry"; pick: number }
  | { op: "rescue" };

const worker = fc.constantFrom(...WORKERS);
const picks = fc.array(fc.nat(20), { minLength: 1, maxLength: 3 });
const own = fc.boolean();
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    op: fc.constant("insert" as const),
    count: fc.integer({ min: 1, max: 3 }),
    maxAttempts: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({ op: fc.constant("claim" as const), worker, limit: fc.integer({ min: 1, max: 3 }), lapsed: fc.boolean() }),
  fc.record({ op: fc.constantFrom("complete" as const, "release" as const), worker, picks, own }),
  fc.record({ op: fc.constant("renew" as const), worker, picks, own, lapsed: fc.boolean() }),
  fc.record({ op: fc.constant("fail" as const), worker, picks, own, retryDelay: fc.constantFrom(null, 0, 60) }),
  fc.record({ op: fc.constant("progress" as const), worker, picks, own, done: fc.nat(10) }),
  fc.record({ op: fc.constantFrom("cancel" as const, "retry" as const), pick: fc.nat(20) }),
  fc.record({ op: fc.constant("rescue" as const) }),
);

/** One store under test, with the ids it gave the inserted tasks, in insertion order. */
interface Run {
  name: string;
  store: TaskStore;
  leases: () => Promise<Map<string, Lease>>;
  ids: string[];
  /** Which worker holds which task, as the claims and their answers say. */
  holder: Map<string, WorkerId>;
}

/** A lease that has already lapsed when the claim or renewal returns: the next rescue takes the task back. */
const leaseSeconds = (lapsed: boolean) => (lapsed ? -1 : 300);
function pickIds(run: Run, s: { worker: WorkerId; picks: number[]; own: boolean }): string[] {
  const from = s.own ? run.ids.filter((id) => run.holder.get(id) === s.worker) : run.ids;
  return from.length === 0 ? [] : [...new Set(s.picks.map((i) => from[i % from.length]!))];
}

async function apply(run: Run, s: Step): Promise<void> {
  const { store, holder } = run;
  switch (s.op) {
    case "insert": {
      const tasks = Array.from({ length: s.count }, () =>
        enqueueRequest({ taskName: "prop.t", maxAttempts: s.maxAttempts }),
      );
      run.ids.push(...(await store.taskInsert({ backend: "default", tasks })).map((r) => r.id));
      return;
    }
    case "claim": {
      const claimed = await store.taskClaimBatch({
        queues: "*",
        limit: s.limit,
        workerId: s.worker,
        leaseSeconds: leaseSeconds(s.lapsed),
      });
      for (const r of claimed) {
        // Never handed to a second worker while another holds it, lapsed lease or not.
        expect(holder.get(r.id), `${run.name}: ${r.id} claimed while held`).toBeUndefined();
        expect(r.status).toBe("RUNNING");
        holder.set(r.id, s.worker);
      }
      return;
    }
    case "complete": {
      const results = pickIds(run, s).map((id) => ({ id, returnValue: "1" }));
      for (const r of await store.taskComplete({ workerId: s.worker, results })) {
        expect(holder.get(r.id), `${run.name}: completed by a non-holder`).toBe(s.worker);
        holder.delete(r.id);
      }
      return;
    }
    case "fail": {
      const error = {
        exceptionClass: "Error",
        message: "boom",
        traceback: "Error: boom",
        attempt: 1,
        failedAt: new Date().toISOString(),
      };
      const failures = pickIds(run, s).map((id) => ({ id, error, retryDelay: s.retryDelay }));
      for (const r of await store.taskFail({ workerId: s.worker, failures })) {
        expect(holder.get(r.id), `${run.name}: failed by a non-holder`).toBe(s.worker);
        holder.delete(r.id);
      }
      return;
    }
    case "release": {
      for (const r of await store.taskRelease({ workerId: s.worker, ids: pickIds(run, s) })) {
        expect(holder.get(r.id), `${run.name}: released by a non-holder`).toBe(s.worker);
        holder.delete(r.id);
      }
      return;
    }
    case "renew": {
      const ids = pickIds(run, s);
      for (const id of await store.taskRenewLease({ workerId: s.worker, ids, leaseSeconds: leaseSeconds(s.lapsed) })) {
        expect(holder.get(id), `${run.name}: renewed by a non-holder`).toBe(s.worker);
      }
      return;
    }
    case "progress": {
      const [id] = pickIds(run, s);
      if (id === undefined) return;
      const set = await store.taskSetProgress({ id, workerId: s.worker, done: s.done, total: 10 });
      if (set) expect(holder.get(id), `${run.name}: progress set by a non-holder`).toBe(s.worker);
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
    case "rescue": {
      for (const r of await store.taskRescueExpired({ limit: 100 })) holder.delete(r.id);
      return;
    }
  }
}

/** Every task's record, in insertion order. */
async function records(run: Run): Promise<TaskRecord[]> {
  return Promise.all(run.ids.map(async (id) => (await run.store.taskGet({ id }))!));
}

/** The schema's invariants and the state machine's own, for one store after step `s`. */
async function checkInvariants(check: {
  run: Run;
  all: TaskRecord[];
  before: Map<string, TaskRecord>;
  s: Step;
}): Promise<void> {
  const { run, all, before, s } = check;
  const leases = await run.leases();
  for (const r of all) {
    const where = `${run.name} after ${JSON.stringify(s)}: ${r.id} ${r.status} attempts=${r.attempts}/${r.maxAttempts}`;
    const lease = leases.get(r.id) ?? { lockedBy: null, lockedUntil: null };
    const broken = Object.entries(SCHEMA_INVARIANTS).filter(([, holds]) => !holds(r, lease));
    expect(
      broken.map(([name]) => name),
      where,
    ).toEqual([]);
    expect(r.attempts, where).toBeLessThanOrEqual(r.maxAttempts);
    if (r.status === "PENDING") expect(r.attempts, where).toBeLessThan(r.maxAttempts);
    if (r.status === "SUCCESSFUL") expect(r.attempts, where).toBeGreaterThanOrEqual(1);
    // Each attempt adds at most one error; each cancel of a PENDING task one more (a task
    // cancelled, retried and cancelled again has two errors and no attempt).
    expect(r.errors.filter((e) => e.exceptionClass !== "TaskCancelled").length, where).toBeLessThanOrEqual(r.attempts);
    for (const e of r.errors) expect(e.attempt, where).toBeLessThanOrEqual(r.attempts);
    // Held exactly while RUNNING, by the worker whose lease the row names.
    expect(run.holder.has(r.id), where).toBe(r.status === "RUNNING");
    if (r.status === "RUNNING") expect(lease.lockedBy, where).toBe(run.holder.get(r.id));
    const was = before.get(r.id);
    if (!was) continue;
    // A finished task stays finished, unless a retry (of a FAILED one) re-queued it.
    if (was.status === "SUCCESSFUL") expect(r.status, where).toBe("SUCCESSFUL");
    if (was.status === "FAILED" && s.op !== "retry") expect(r.status, where).toBe("FAILED");
    // Attempts only grow, unless a retry starts the task afresh or a release gives back a
    // claim as if it never happened.
    if (s.op !== "retry" && s.op !== "release") expect(r.attempts, where).toBeGreaterThanOrEqual(was.attempts);
  }
}

/** What both stores must agree on, per task. */
const shape = (all: TaskRecord[]) =>
  all.map((r) => ({
    status: r.status,
    attempts: r.attempts,
    maxAttempts: r.maxAttempts,
    workerIds: r.workerIds,
    errors: r.errors.map((e) => `${e.exceptionClass}@${e.attempt}`),
    returnValue: r.returnValue,
    progress: r.progress,
    cancelRequested: r.cancelRequestedAt !== null,
  }));

describe("the task state machine (fast-check, both stores)", () => {
  it("has one CHECK of the schema's per SCHEMA_INVARIANTS entry, and no other", async () => {
    const { rows } = await sql<{ conname: string }>`
      SELECT conname FROM pg_constraint WHERE conrelid = 'errand_tasks'::regclass AND contype = 'c'`.execute(tdb.db);
    expect(rows.map((r) => r.conname.replace(/^errand_tasks_/, "")).sort()).toEqual(
      Object.keys(SCHEMA_INVARIANTS).sort(),
    );
  });

  it("keeps the schema's invariants and its own under random sequences, the same in both stores", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), async (steps) => {
        await tdb.db.deleteFrom("errand_tasks").execute();
        const memory = new MemoryTaskStore();
        const runs: [Run, Run] = [
          {
            name: "postgres",
            store: new PostgresTaskStore(tdb.db),
            leases: async () => {
              const { rows } = await sql<{ id: string; locked_by: string | null; locked_until: Date | null }>`
                SELECT id, locked_by, locked_until FROM errand_tasks`.execute(tdb.db);
              return new Map(rows.map((r) => [r.id, { lockedBy: r.locked_by, lockedUntil: r.locked_until }]));
            },
            ids: [],
            holder: new Map(),
          },
          {
            name: "memory",
            store: memory,
            leases: () => Promise.resolve(new Map(memory.records().map((r) => [r.id, memory.lease(r.id)!] as const))),
            ids: [],
            holder: new Map(),
          },
        ];
        let before = await Promise.all(runs.map(records));
        for (const s of steps) {
          for (const run of runs) await apply(run, s);
          const after = await Promise.all(runs.map(records));
          for (const [i, run] of runs.entries()) {
            await checkInvariants({ run, all: after[i]!, before: new Map(before[i]!.map((r) => [r.id, r])), s });
          }
          expect(shape(after[1]!), `memory vs postgres after ${JSON.stringify(s)}`).toEqual(shape(after[0]!));
          before = after;
        }
      }),
      { numRuns: 50 },
    );
  }, 180_000);
});
