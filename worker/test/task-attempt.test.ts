// One attempt of a claimed task, without a worker: run, timeout, abort, outcome, and the
// retry delay it asks for.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import {
  defaultBackoff,
  getBackend,
  task,
  TaskResultDoesNotExist,
  type TaskRecord,
  type TaskRecordSource,
} from "@errand/core";
import { PostgresTaskStore, queries, type TaskStore } from "@errand/core/internal";
import type { TestDatabase } from "@errand/core/testing";
import { LeaseLost, WorkerShutdown } from "../src/errors";
import { retryDelayFor } from "../src/retry-delay";
import { TaskAttempt, type AttemptOutcome } from "../src/task-attempt";
import { flaky, hopeless, progress, record, slow, tooSlow } from "./fixtures/tasks";
import { memoryStore, setUpDatabase, tearDownDatabase } from "./helpers";

const plain = task({ name: "test.attempt.plain" }, async () => {
  throw new Error("no backoff of its own");
});
const badBackoff = task(
  {
    name: "test.attempt.badBackoff",
    backoff: () => {
      throw new Error("backoff bug");
    },
  },
  async () => {
    throw new Error("fails");
  },
);
const weirdBackoff = task({ name: "test.attempt.weirdBackoff", backoff: () => -3 }, async () => {
  throw new Error("fails");
});

let tdb: TestDatabase;
const WORKER = "attempt-test";

beforeAll(async () => {
  tdb = await setUpDatabase();
});

afterEach(async () => {
  await sql`DELETE FROM errand_tasks`.execute(tdb.db);
  await sql`DELETE FROM executions`.execute(tdb.db);
});

afterAll(async () => {
  await tearDownDatabase(tdb);
});

/** Claims the one due task as a worker would. */
async function claim(store: TaskStore = new PostgresTaskStore(tdb.db)): Promise<TaskRecord> {
  const [claimed] = await store.taskClaimBatch({ queues: "*", limit: 1, workerId: WORKER, leaseSeconds: 30 });
  if (!claimed) throw new Error("nothing to claim");
  return claimed;
}

/** An attempt of `claimed`: on the test database, or on `store` (`ctx.taskResult` reloads from it too). */
function attempt(claimed: TaskRecord, store?: TaskStore): TaskAttempt {
  const backend: TaskRecordSource = store
    ? {
        getRecord: async (id) => {
          const found = await store.taskGet({ id });
          if (!found) throw new TaskResultDoesNotExist(id);
          return found;
        },
        cancel: async (id) => {
          const cancelled = await store.taskCancel({ id });
          if (!cancelled) throw new Error(`task ${id} could not be cancelled`);
          return cancelled;
        },
      }
    : getBackend();
  return new TaskAttempt({ task: claimed, store: store ?? new PostgresTaskStore(tdb.db), backend, workerId: WORKER });
}

async function failure(outcome: AttemptOutcome) {
  if (outcome.ok) throw new Error(`expected a failure, got ${outcome.returnValue}`);
  return outcome;
}

describe("TaskAttempt", () => {
  it("runs the function and returns its value as JSON text, storing nothing", async () => {
    await record.enqueue("hello");
    const row = await claim();
    const run = attempt(row);
    expect(await run.outcome).toEqual({ ok: true, returnValue: '{"label":"hello"}' });
    expect(run.elapsedMs).toBeGreaterThan(0);
    const stored = await queries.taskGet(tdb.db, { id: row.id });
    expect(stored).toMatchObject({ status: "RUNNING", locked_by: WORKER, return_value: null });
  });

  it("writes progress while it runs", async () => {
    await progress.enqueue(3);
    const row = await claim();
    expect(await attempt(row).outcome).toEqual({ ok: true, returnValue: "3" });
    expect(await queries.taskGet(tdb.db, { id: row.id })).toMatchObject({ progress_done: 3, progress_total: 3 });
  });

  it("turns a throw into the stored error and the task's backoff", async () => {
    await flaky.enqueue();
    const outcome = await failure(await attempt(await claim()).outcome);
    expect(outcome.retryDelay).toBe(0.05);
    expect(outcome.error).toMatchObject({ exceptionClass: "Error", message: "boom on attempt 1", attempt: 1 });
    expect(outcome.error.traceback).toMatch(/Caused by: TypeError: root cause/);
    expect(new Date(outcome.error.failedAt).getTime()).toBeLessThanOrEqual(Date.now());
  });

  it("asks for no retry on DoNotRetry or an unregistered task", async () => {
    await hopeless.enqueue();
    expect(await failure(await attempt(await claim()).outcome)).toMatchObject({
      retryDelay: null,
      error: { exceptionClass: "DoNotRetry" },
    });
    await sql`INSERT INTO errand_tasks (task_name, args) VALUES ('nobody.knows', '[]')`.execute(tdb.db);
    expect(await failure(await attempt(await claim()).outcome)).toMatchObject({
      retryDelay: null,
      error: { exceptionClass: "TaskNotRegistered" },
    });
  });

  it("fails at the task's timeout", async () => {
    await tooSlow.enqueue();
    const outcome = await failure(await attempt(await claim()).outcome);
    expect(outcome.error.exceptionClass).toBe("TaskTimeoutError");
  });

  it("abort() aborts the task's signal: a shutdown asks for a retry at once, a lost lease for the backoff", async () => {
    await slow.enqueue(30_000);
    const first = attempt(await claim());
    first.abort(new WorkerShutdown(WORKER, 0));
    expect(await failure(await first.outcome)).toMatchObject({
      retryDelay: 0,
      error: { exceptionClass: "WorkerShutdown" },
    });

    await slow.enqueue(30_000);
    const second = attempt(await claim());
    second.abort(new LeaseLost("x", WORKER));
    expect(await failure(await second.outcome)).toMatchObject({
      retryDelay: defaultBackoff(1),
      error: { exceptionClass: "LeaseLost" },
    });
  });
});

describe("TaskAttempt on a MemoryTaskStore (no database)", () => {
  it("runs the task, writes its progress to that store and turns a throw into the outcome", async () => {
    const { store, tasks } = await memoryStore([
      { taskName: progress.name, args: [2] },
      { taskName: weirdBackoff.name },
    ]);
    const done = attempt(await claim(store), store);
    expect(await done.outcome).toEqual({ ok: true, returnValue: "2" });
    expect(await store.taskGet({ id: tasks[0]!.id })).toMatchObject({
      status: "RUNNING",
      progress: { done: 2, total: 2 },
    });
    const failed = await failure(await attempt(await claim(store), store).outcome);
    expect(failed).toMatchObject({ retryDelay: 0, error: { exceptionClass: "Error", message: "fails", attempt: 1 } });
  });
});

describe("retryDelayFor", () => {
  it("is the task's backoff, else core's default; never negative", async () => {
    await plain.enqueue();
    await badBackoff.enqueue();
    await weirdBackoff.enqueue();
    const claimed = await new PostgresTaskStore(tdb.db).taskClaimBatch({
      queues: "*",
      limit: 3,
      workerId: WORKER,
      leaseSeconds: 30,
    });
    const delays: Record<string, unknown> = Object.fromEntries(
      await Promise.all(
        claimed.map(async (t): Promise<[string, unknown]> => [
          t.taskName,
          (await failure(await attempt(t).outcome)).retryDelay,
        ]),
      ),
    );
    expect(delays).toEqual({
      "test.attempt.plain": defaultBackoff(1),
      "test.attempt.badBackoff": defaultBackoff(1),
      "test.attempt.weirdBackoff": 0,
    });
    expect(retryDelayFor({ taskName: "test.attempt.plain", attempts: 3 }, new Error("x"))).toBe(3 ** 4 + 5);
  });
});
