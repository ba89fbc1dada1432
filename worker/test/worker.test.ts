import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import pg from "pg";
import { taskEvents, type TaskEvent, type TaskRecord } from "@errand/core";
import { queries } from "@errand/core/internal";
import { insertTasks, type TestDatabase } from "@errand/core/testing";
import { Worker, type WorkerOptions } from "../src/index";
import { createLogger } from "../src/logger";
import {
  badReturn,
  flaky,
  flakyLongBackoff,
  hopeless,
  noop,
  progress,
  record,
  recordEmail,
  slow,
  stubborn,
  tooSlow,
} from "./fixtures/tasks";
import { executions, setUpDatabase, statusCounts, tearDownDatabase, waitFor } from "./helpers";

let tdb: TestDatabase;
const workers: Worker[] = [];

beforeAll(async () => {
  tdb = await setUpDatabase();
});

afterEach(async () => {
  // A test that leaks a running worker would disturb the next one.
  await Promise.all(workers.splice(0).map((w) => w.stop()));
  await sql`DELETE FROM errand_tasks`.execute(tdb.db);
  await sql`DELETE FROM executions`.execute(tdb.db);
});

afterAll(async () => {
  await tearDownDatabase(tdb);
});

const quiet = createLogger({ level: "silent" });

function worker(options: WorkerOptions = {}): Worker {
  const w = new Worker({ interval: 0.05, logger: quiet, ...options });
  workers.push(w);
  return w;
}

/** Runs a batch worker until it has drained what is due. */
async function drain(options: WorkerOptions = {}): Promise<Worker> {
  const w = worker({ batch: true, ...options });
  await w.run();
  return w;
}

async function row(id: string) {
  return tdb.db.selectFrom("errand_tasks").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
}

describe("claim order", () => {
  it("runs higher priority first, then earlier run_after, then enqueue order; not-yet-due tasks wait", async () => {
    const a = await record.enqueue("A");
    const b = await record.using({ runAfter: new Date(Date.now() - 60_000) }).enqueue("B");
    await record.using({ priority: 10 }).enqueue("C");
    await record.using({ priority: -5 }).enqueue("D");
    await record.enqueue("E");
    const later = await record.using({ delay: { hours: 1 } }).enqueue("later");
    await drain({ concurrency: 1 });
    expect((await executions(tdb)).map((e) => e.label)).toEqual(["C", "B", "A", "E", "D"]);
    expect((await row(later.id)).status).toBe("PENDING");
    expect((await row(a.id)).status).toBe("SUCCESSFUL");
    expect((await row(b.id)).return_value).toEqual({ label: "B" });
  });

  it("never runs more than `concurrency` tasks at once", async () => {
    await slow.enqueueMany(Array.from({ length: 9 }, () => [150] as [number]));
    let peak = 0;
    const w = worker({ batch: true, concurrency: 3 });
    w.on("taskStarted", () => (peak = Math.max(peak, w.runningCount)));
    await w.run();
    expect(peak).toBe(3);
    expect(await statusCounts(tdb)).toEqual({ SUCCESSFUL: 9 });
  });
});

describe("queue filters", () => {
  it("runs only its queues; * runs every queue", async () => {
    const def = await record.enqueue("default");
    const email = await recordEmail.enqueue("email");
    const bulk = await record.using({ queueName: "bulk" }).enqueue("bulk");
    await drain({ queues: ["email"] });
    expect((await executions(tdb)).map((e) => e.label)).toEqual(["email"]);
    await drain({ queues: ["bulk", "other"] });
    expect((await executions(tdb)).map((e) => e.label)).toEqual(["email", "bulk"]);
    const again = await recordEmail.enqueue("email2");
    await drain({ queues: ["*"] });
    expect((await executions(tdb)).map((e) => e.label).sort()).toEqual(["bulk", "default", "email", "email2"]);
    for (const r of [def, email, bulk, again]) expect((await row(r.id)).status).toBe("SUCCESSFUL");
  });

  it("* with excludeQueues runs every queue but those", async () => {
    await record.enqueue("default");
    await recordEmail.enqueue("email");
    await record.using({ queueName: "bulk" }).enqueue("bulk");
    await drain({ queues: "*", excludeQueues: ["email"] });
    expect((await executions(tdb)).map((e) => e.label).sort()).toEqual(["bulk", "default"]);
    expect(await statusCounts(tdb)).toMatchObject({ PENDING: 1, SUCCESSFUL: 2 });
    expect(() => worker({ queues: ["email"], excludeQueues: ["bulk"] })).toThrow(/only goes with queues "\*"/);
  });

  it("rejects bad queue lists", () => {
    expect(() => new Worker({ queues: [] })).toThrow(/non-empty list/);
    expect(() => new Worker({ queues: ["*", "email"] })).toThrow(/every queue/);
    expect(() => new Worker({ concurrency: 0 })).toThrow(
      "new Worker(): concurrency must be a positive integer, got 0.",
    );
    expect(() => new Worker({ workerId: "x".repeat(65) })).toThrow(/1 to 64/);
  });
});

describe("outcomes", () => {
  it("retries with backoff, then FAILED with one error per attempt", async () => {
    const result = await flaky.enqueue();
    await worker().start();
    await waitFor("FAILED", async () => (await row(result.id)).status === "FAILED");
    const final = await row(result.id);
    expect(final.attempts).toBe(3);
    expect(final.errors.map((e) => e.attempt)).toEqual([1, 2, 3]);
    expect(final.errors[0]!.exceptionClass).toBe("Error");
    expect(final.errors[0]!.message).toBe("boom on attempt 1");
    expect(final.errors[0]!.traceback).toMatch(/Caused by: TypeError: root cause/);
    expect(final.finished_at).not.toBeNull();
    expect(final.worker_ids).toHaveLength(3);
    expect((await executions(tdb)).length).toBe(3);
  });

  it("fails at once, attempts left or not, when the task throws DoNotRetry", async () => {
    const result = await hopeless.enqueue();
    await worker().start();
    await waitFor("FAILED", async () => (await row(result.id)).status === "FAILED");
    const final = await row(result.id);
    expect(final.attempts).toBe(1);
    expect(final.max_attempts).toBe(5);
    expect(final.errors).toHaveLength(1);
    expect(final.errors[0]).toMatchObject({ exceptionClass: "DoNotRetry", message: "the card was declined" });
    expect((await executions(tdb)).length).toBe(1);
  });

  it("a retry that succeeds keeps the earlier error and the return value", async () => {
    const result = await flaky.enqueue(2);
    await worker().start();
    await result.refresh();
    await waitFor("SUCCESSFUL", async () => (await result.refresh()).status === "SUCCESSFUL");
    expect(result.attempts).toBe(2);
    expect(result.errors).toHaveLength(1);
    expect(result.returnValue).toEqual({ attempt: 2 });
  });

  it("the retry waits for the backoff delay", async () => {
    // backoff(attempts) is attempts × 600 s: after the first attempt, due ten minutes on.
    const result = await flakyLongBackoff.enqueue(2);
    await drain();
    const after = await row(result.id);
    expect(after.status).toBe("PENDING");
    expect(after.attempts).toBe(1);
    const delayMs = after.run_after.getTime() - new Date(after.errors[0]!.failedAt).getTime();
    // The delay is added to the database's clock when the failure is stored, just after failedAt.
    expect(delayMs).toBeGreaterThanOrEqual(599_000);
    expect(delayMs).toBeLessThan(630_000);
    // Not due: a worker that drains what is due does not run it again.
    await drain();
    expect((await executions(tdb)).map((e) => e.attempt)).toEqual([1]);
    // Once the delay has passed, it runs.
    await sql`UPDATE errand_tasks SET run_after = now() WHERE id = ${result.id}::uuid`.execute(tdb.db);
    await drain();
    expect(await row(result.id)).toMatchObject({ status: "SUCCESSFUL", attempts: 2 });
  });

  it("schedules a repeating task from its original time until repeatUntil", async () => {
    const start = Date.now();
    await record.using({ repeat: 1, repeatUntil: new Date(start + 2_500) }).enqueue("tick");
    await worker().start();
    await waitFor("three runs", async () => (await statusCounts(tdb, "test.record")).SUCCESSFUL === 3, {
      timeoutMs: 8_000,
    });
    const rows = await tdb.db.selectFrom("errand_tasks").selectAll().orderBy("scheduled_at").execute();
    const gaps = rows.slice(1).map((r, i) => r.scheduled_at.getTime() - rows[i]!.scheduled_at.getTime());
    expect(gaps).toEqual([1000, 1000]);
    // The chain stopped at repeatUntil: nothing else scheduled.
    expect(rows).toHaveLength(3);
  });

  it("fails an attempt that runs past its timeout", async () => {
    const result = await tooSlow.enqueue();
    await worker().start();
    await waitFor("FAILED", async () => (await row(result.id)).status === "FAILED");
    const final = await row(result.id);
    expect(final.errors[0]!.exceptionClass).toBe("TaskTimeoutError");
    expect(final.errors[0]!.message).toMatch(/timeout of 0.2 s/);
  });

  it("fails a task whose name is not registered with TaskNotRegistered, and keeps going", async () => {
    const {
      rows: [ghost],
    } = await sql<{
      id: string;
    }>`INSERT INTO errand_tasks (task_name, args) VALUES ('nobody.knows', '[1]') RETURNING id`.execute(tdb.db);
    const fine = await noop.enqueue();
    await drain();
    const final = await row(ghost!.id);
    expect(final.status).toBe("FAILED");
    expect(final.attempts).toBe(1);
    expect(final.errors).toHaveLength(1);
    expect(final.errors[0]!.exceptionClass).toBe("TaskNotRegistered");
    expect(final.errors[0]!.message).toMatch(/nobody\.knows/);
    expect((await row(fine.id)).status).toBe("SUCCESSFUL");
  });

  it("fails a task that returns something that is not JSON at once, with retries left", async () => {
    const result = await badReturn.enqueue();
    // Zero backoff: a retry would be due at once, and this drain would run it.
    await drain();
    const final = await row(result.id);
    expect(final.status).toBe("FAILED");
    expect(final.attempts).toBe(1);
    expect(final.max_attempts).toBe(5);
    expect(final.errors).toHaveLength(1);
    expect(final.errors[0]!.message).toMatch(/not JSON/);
  });

  it("stores progress", async () => {
    const result = await progress.enqueue(4);
    await drain();
    await result.refresh();
    expect(result.status).toBe("SUCCESSFUL");
    expect(result.progress).toEqual({ done: 4, total: 4 });
  });

  it("emits taskStarted and taskFinished with the stored snapshot", async () => {
    const result = await record.enqueue("events");
    const started: TaskRecord[] = [];
    const finished: TaskRecord[] = [];
    const core: string[] = [];
    const onCore = (name: string) => (e: TaskEvent) => core.push(`${name} ${e.record.status} ${e.backend}`);
    const onStarted = onCore("started");
    const onFinished = onCore("finished");
    taskEvents.on("started", onStarted);
    taskEvents.on("finished", onFinished);
    const w = worker({ batch: true });
    w.on("taskStarted", (r) => started.push(r));
    w.on("taskFinished", (r) => finished.push(r));
    // A listener that throws must not break the worker.
    w.on("taskStarted", () => {
      throw new Error("listener bug");
    });
    try {
      await w.run();
    } finally {
      taskEvents.off("started", onStarted);
      taskEvents.off("finished", onFinished);
    }
    expect(started.map((r) => [r.id, r.status, r.attempts])).toEqual([[result.id, "RUNNING", 1]]);
    expect(finished.map((r) => [r.id, r.status, r.returnValue])).toEqual([
      [result.id, "SUCCESSFUL", { label: "events" }],
    ]);
    // Core's task events (Django's task_started / task_finished) fire too.
    expect(core).toEqual(["started RUNNING default", "finished SUCCESSFUL default"]);
  });
});

describe("backends", () => {
  it("claims only the tasks of its backend alias, though another alias's rows share the table", async () => {
    const mine = await noop.enqueue();
    const [theirs] = await insertTasks(tdb.db, [{ task_name: "test.noop", backend: "reports" }]);
    await drain();
    expect((await row(mine.id)).status).toBe("SUCCESSFUL");
    expect((await row(theirs!.id)).status).toBe("PENDING");
  });
});

describe("running", () => {
  it("wakes on NOTIFY within milliseconds, without waiting for the poll", async () => {
    const lines: string[] = [];
    const log = (msg: string) => void lines.push(msg);
    const w = worker({ interval: 60, logger: { debug: log, info: log, warn: log, error: log } });
    await w.start();
    // The startup claim found nothing: from now on only a notification (or the poll, a
    // minute away) can wake the worker.
    await waitFor("the startup claim", () => lines.includes("claimed"), { everyMs: 5 });
    const t0 = Date.now();
    const result = await noop.enqueue();
    await waitFor("SUCCESSFUL", async () => (await result.refresh()).status === "SUCCESSFUL", { everyMs: 5 });
    expect(Date.now() - t0).toBeLessThan(1_000);
  });

  it("stops after maxTasks", async () => {
    await noop.enqueueMany(Array.from({ length: 5 }, () => []));
    const w = worker({ concurrency: 1, maxTasks: 3 });
    await w.run();
    expect(w.finishedCount).toBe(3);
    expect(await statusCounts(tdb)).toEqual({ SUCCESSFUL: 3, PENDING: 2 });
  });

  it("stops after duration", async () => {
    const w = worker({ duration: 0.3 });
    const t0 = Date.now();
    await w.run();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(w.state).toBe("stopped");
  });

  it("renews the lease of a long task, so no other worker takes it over", async () => {
    // 2.5 leases long. A shorter lease (0.6 s) made this fail on a loaded machine: a renewal
    // that waits 0.4 s for a connection lets the lease lapse, as it should.
    const result = await slow.enqueue(3_000);
    const a = worker({ leaseSeconds: 1.2, workerId: "lease-a" });
    await a.start();
    await waitFor("started", async () => (await row(result.id)).status === "RUNNING");
    // A second worker sweeping for lapsed leases all the while.
    const b = worker({ leaseSeconds: 1.2, rescueIntervalSeconds: 0.1, workerId: "lease-b" });
    await b.start();
    await waitFor("SUCCESSFUL", async () => (await row(result.id)).status === "SUCCESSFUL", { timeoutMs: 10_000 });
    const final = await row(result.id);
    expect(final.attempts).toBe(1);
    expect(final.worker_ids).toEqual(["lease-a"]);
    expect(final.errors).toEqual([]);
  });

  it("re-queues a task whose lease lapsed and runs it again, counting the lost attempt", async () => {
    const result = await record.enqueue("orphan");
    // A worker that claimed it and died: RUNNING, lease already over.
    await queries.taskClaimBatch(tdb.db, { queues: "*", limit: 1, workerId: "dead-worker", leaseSeconds: 0.01 });
    await waitFor("the lease to lapse", async () => (await row(result.id)).locked_until!.getTime() < Date.now());
    const w = worker({ rescueIntervalSeconds: 0.1 });
    await w.start();
    await waitFor("SUCCESSFUL", async () => (await row(result.id)).status === "SUCCESSFUL");
    const final = await row(result.id);
    expect(final.attempts).toBe(2);
    expect(final.worker_ids[0]).toBe("dead-worker");
    expect(final.errors.map((e) => e.exceptionClass)).toEqual(["LeaseExpired"]);
    expect((await executions(tdb)).map((e) => e.attempt)).toEqual([2]);
  });
});

describe("stop()", () => {
  it("lets a running task finish, then stops", async () => {
    const result = await slow.enqueue(400);
    const w = worker({ shutdownGraceSeconds: 10 });
    await w.start();
    await waitFor("started", async () => (await executions(tdb)).length === 1);
    await w.stop();
    const final = await row(result.id);
    expect(final.status).toBe("SUCCESSFUL");
    expect((await executions(tdb)).map((e) => e.label)).toEqual(["start", "end"]);
  });

  it("aborts the signal after the grace period; the attempt is stored and retried", async () => {
    const aborts = await slow.enqueue(30_000);
    const w = worker({ shutdownGraceSeconds: 0.3 });
    await w.start();
    await waitFor("started", async () => (await executions(tdb)).length === 1);
    const t0 = Date.now();
    await w.stop();
    expect(Date.now() - t0).toBeLessThan(2_000);
    const final = await row(aborts.id);
    expect(final.status).toBe("PENDING");
    expect(final.locked_by).toBeNull();
    expect(final.errors.map((e) => e.exceptionClass)).toEqual(["WorkerShutdown"]);
  });

  it("stopping while busy leaves nothing RUNNING: every task is finished or back to PENDING untouched", async () => {
    await slow.enqueueMany(Array.from({ length: 200 }, () => [20] as [number]));
    const w = worker({ concurrency: 10 });
    await w.start();
    await waitFor("some done", async () => ((await statusCounts(tdb)).SUCCESSFUL ?? 0) >= 15);
    await w.stop();
    const counts = await statusCounts(tdb);
    expect(counts.RUNNING).toBeUndefined();
    expect((counts.SUCCESSFUL ?? 0) + (counts.PENDING ?? 0)).toBe(200);
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM errand_tasks
      WHERE status = 'PENDING' AND (attempts <> 0 OR errors <> '[]'::jsonb OR locked_by IS NOT NULL)`.execute(tdb.db);
    expect(rows[0]!.n).toBe(0);
  });

  it("gives back tasks it claimed but had not started when stop() came during the claim", async () => {
    const result = await record.enqueue("claimed-then-stopped");
    // Hold the table so the worker's first claim waits, stop the worker meanwhile, then let
    // the claim go through: the worker must release what it got instead of running it.
    const blocker = new pg.Client({ connectionString: tdb.url });
    await blocker.connect();
    try {
      await blocker.query("BEGIN");
      await blocker.query("LOCK TABLE errand_tasks IN ACCESS EXCLUSIVE MODE");
      const w = worker({ workerId: "stopped-mid-claim" });
      await w.start();
      await waitFor("the claim to wait on the lock", async () => {
        // Asked outside the blocker's transaction, whose view of pg_stat_activity is frozen.
        const { rows } = await sql`SELECT 1 FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%status = ''PENDING''%'`.execute(
          tdb.db,
        );
        return rows.length > 0;
      });
      const stopped = w.stop();
      await blocker.query("COMMIT");
      await stopped;
    } finally {
      await blocker.end();
    }
    const final = await row(result.id);
    expect([final.status, final.attempts, final.worker_ids, final.started_at, final.locked_by]).toEqual([
      "PENDING",
      0,
      [],
      null,
      null,
    ]);
    expect(await executions(tdb)).toEqual([]);
  });

  it("a task that ignores its signal does not hold up the stop", async () => {
    const result = await stubborn.enqueue(30_000);
    const w = worker({ shutdownGraceSeconds: 0.2 });
    await w.start();
    await waitFor("started", async () => (await executions(tdb)).length === 1);
    const t0 = Date.now();
    await w.stop();
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect((await row(result.id)).status).toBe("PENDING");
  });
});
