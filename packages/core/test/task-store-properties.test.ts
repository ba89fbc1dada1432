// Property-based test of the task state machine against both stores: random sequences of
// enqueue, claim, complete, fail, cancel, retry, lease renewal, lease lapse, rescue and
// release never break the row invariants (the CHECK constraints of kysely/schema.sql, which
// Postgres also enforces itself), a finished task stays finished until retried, and a task
// under a live lease is never claimed again.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { sql } from "kysely";
import type { TaskRecord } from "@errand/core";
import { MemoryTaskStore, PostgresTaskStore } from "@errand/core/internal";
import { createTestDatabase, enqueueRequest, type TestDatabase } from "@errand/core/testing";

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(() => tdb?.drop());

type Lease = { lockedBy: string | null; lockedUntil: Date | null };

const stores = [
  {
    name: "PostgresTaskStore",
    make: async () => {
      await tdb.db.deleteFrom("errand_tasks").execute();
      const store = new PostgresTaskStore(tdb.db);
      const leases = async (): Promise<Map<string, Lease>> => {
        const { rows } = await sql<{ id: string; locked_by: string | null; locked_until: Date | null }>`
          SELECT id, locked_by, locked_until FROM errand_tasks`.execute(tdb.db);
        return new Map(rows.map((r) => [r.id, { lockedBy: r.locked_by, lockedUntil: r.locked_until }]));
      };
      return { store, leases };
    },
  },
  {
    name: "MemoryTaskStore",
    make: () => {
      const store = new MemoryTaskStore();
      const leases = () => Promise.resolve(new Map(store.records().map((r) => [r.id, store.lease(r.id)!] as const)));
      return Promise.resolve({ store, leases });
    },
  },
];

const WORKERS = ["w1", "w2"] as const;
const worker = fc.constantFrom(...WORKERS);
/** Which known task an operation picks (modulo how many there are). */
const pick = fc.nat(20);

const op = fc.oneof(
  fc.record({
    kind: fc.constant("enqueue"),
    count: fc.integer({ min: 1, max: 3 }),
    maxAttempts: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({ kind: fc.constant("claim"), worker, limit: fc.integer({ min: 1, max: 3 }), lapsed: fc.boolean() }),
  fc.record({ kind: fc.constant("complete"), worker, task: pick }),
  fc.record({ kind: fc.constant("fail"), worker, task: pick, retryDelay: fc.constantFrom(null, 0, 60) }),
  fc.record({ kind: fc.constant("cancel"), task: pick }),
  fc.record({ kind: fc.constant("retry"), task: pick }),
  fc.record({ kind: fc.constant("renew"), worker, task: pick, lapse: fc.boolean() }),
  fc.record({ kind: fc.constant("rescue") }),
  fc.record({ kind: fc.constant("release"), worker, task: pick }),
  fc.record({ kind: fc.constant("progress"), worker, task: pick, done: fc.nat(10) }),
);
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

const boom = (attempt: number) => ({
  exceptionClass: "Error",
  message: "boom",
  traceback: "Error: boom",
  attempt,
  failedAt: new Date().toISOString(),
});

/** The CHECK constraints of errand_tasks, on a record and its lease. */
function invariantViolations(r: TaskRecord, lease: Lease | undefined): string[] {
  const bad: string[] = [];
  const finished = r.status === "SUCCESSFUL" || r.status === "FAILED";
  if (!["PENDING", "RUNNING", "SUCCESSFUL", "FAILED"].includes(r.status)) bad.push("status_valid");
  if (r.attempts !== r.workerIds.length) bad.push("attempts_counted");
  if (finished !== (r.finishedAt !== null)) bad.push("finished_iff_finished_at");
  if (r.maxAttempts < 1) bad.push("max_attempts_positive");
  if (r.returnValue !== null && r.returnValue !== undefined && r.status !== "SUCCESSFUL") {
    bad.push("return_value_only_successful");
  }
  if ((r.status === "RUNNING") !== (lease?.lockedBy != null && lease.lockedUntil != null)) {
    bad.push("running_iff_locked");
  }
  if ((r.attempts === 0) !== (r.startedAt === null && r.lastAttemptedAt === null)) bad.push("started_once_attempted");
  if (!Array.isArray(r.errors) || !Array.isArray(r.args)) bad.push("arrays");
  if (r.progress && (r.progress.done < 0 || (r.progress.total !== null && r.progress.total < 0))) {
    bad.push("progress_valid");
  }
  return bad;
}

describe.each(stores)("$name: the state machine under random operations", ({ make }) => {
  it("keeps every row invariant", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 30 }), async (ops: Op[]) => {
        const { store, leases } = await make();
        const ids: string[] = [];
        const at = (n: number) => ids[n % Math.max(ids.length, 1)];
        for (const o of ops) {
          const before = new Map((await Promise.all(ids.map((id) => store.taskGet({ id })))).map((r) => [r!.id, r!]));
          const leasesBefore = await leases();
          switch (o.kind) {
            case "enqueue": {
              const tasks = Array.from({ length: o.count }, () =>
                enqueueRequest({ taskName: "prop.t", maxAttempts: o.maxAttempts }),
              );
              ids.push(...(await store.taskInsert({ backend: "default", tasks })).map((r) => r.id));
              break;
            }
            case "claim": {
              const claimed = await store.taskClaimBatch({
                queues: "*",
                limit: o.limit,
                workerId: o.worker,
                leaseSeconds: o.lapsed ? -1 : 30,
              });
              for (const r of claimed) {
                // Only a PENDING task is claimed: never one under another live lease.
                expect(before.get(r.id)?.status).toBe("PENDING");
                expect(r).toMatchObject({ status: "RUNNING", attempts: before.get(r.id)!.attempts + 1 });
              }
              break;
            }
            case "complete": {
              const id = at(o.task);
              if (id) await store.taskComplete({ workerId: o.worker, results: [{ id, returnValue: '"ok"' }] });
              break;
            }
            case "fail": {
              const id = at(o.task);
              const attempt = id ? before.get(id)!.attempts : 0;
              if (id) {
                await store.taskFail({
                  workerId: o.worker,
                  failures: [{ id, error: boom(attempt), retryDelay: o.retryDelay }],
                });
              }
              break;
            }
            case "cancel": {
              const id = at(o.task);
              if (id) await store.taskCancel({ id });
              break;
            }
            case "retry": {
              const id = at(o.task);
              if (id) await store.taskRetry({ id });
              break;
            }
            case "renew": {
              const id = at(o.task);
              if (id) await store.taskRenewLease({ workerId: o.worker, ids: [id], leaseSeconds: o.lapse ? -1 : 30 });
              break;
            }
            case "rescue":
              await store.taskRescueExpired({ limit: 100 });
              break;
            case "release": {
              const id = at(o.task);
              if (id) await store.taskRelease({ workerId: o.worker, ids: [id] });
              break;
            }
            case "progress": {
              const id = at(o.task);
              if (id) await store.taskSetProgress({ id, workerId: o.worker, done: o.done, total: 10 });
              break;
            }
          }
          const leasesAfter = await leases();
          for (const id of ids) {
            const r = (await store.taskGet({ id }))!;
            expect(invariantViolations(r, leasesAfter.get(id)), `${o.kind}: ${JSON.stringify(r)}`).toEqual([]);
            const was = before.get(id);
            if (!was) continue;
            // A finished task stays finished, unless a retry (of a FAILED one) re-queued it.
            if (was.status === "SUCCESSFUL") expect(r.status).toBe("SUCCESSFUL");
            if (was.status === "FAILED" && o.kind !== "retry") expect(r.status).toBe("FAILED");
            // Attempts only grow, unless a retry starts the task afresh or a release gives
            // back a claim as if it never happened.
            if (o.kind !== "retry" && o.kind !== "release") expect(r.attempts).toBeGreaterThanOrEqual(was.attempts);
            // Only the holder of a RUNNING task's lease completes or fails it.
            const held = leasesBefore.get(id)?.lockedBy;
            if ((o.kind === "complete" || o.kind === "fail") && was.status === "RUNNING" && held !== o.worker) {
              expect(r.status).toBe("RUNNING");
            }
          }
        }
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});
