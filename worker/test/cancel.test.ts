// Cancelling RUNNING tasks: from this process, a worker in another process aborts the task.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { getBackend, type TaskRecord } from "@errand/core";
import type { TestDatabase } from "@errand/core/testing";
import { Worker } from "../src/index";
import { createLogger } from "../src/logger";
import { slow, stubborn } from "./fixtures/tasks";
import {
  killAll,
  executions,
  FIXTURE_CONFIG,
  logLines,
  setUpDatabase,
  spawnCli,
  tearDownDatabase,
  waitFor,
  type CliProcess,
} from "./helpers";

let tdb: TestDatabase;
const procs: CliProcess[] = [];
const workers: Worker[] = [];

beforeAll(async () => {
  tdb = await setUpDatabase();
});

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop()));
  await killAll(procs);
  await sql`DELETE FROM errand_tasks`.execute(tdb.db);
  await sql`DELETE FROM executions`.execute(tdb.db);
});

afterAll(async () => {
  await tearDownDatabase(tdb);
});

/** A worker process that polls every 30 s: a cancel seen sooner came by notification. */
function startWorker(): CliProcess {
  const p = spawnCli(["worker", "--config", FIXTURE_CONFIG, "--interval", "30"], { databaseUrl: tdb.url });
  procs.push(p);
  return p;
}

const startedRun = (taskId: string) => async () =>
  (await executions(tdb)).some((e) => e.task_id === taskId && e.label === "start");

async function record(id: string): Promise<TaskRecord> {
  return getBackend().getRecord(id);
}

describe("cancelling a RUNNING task", () => {
  it("aborts it in a worker process by notification: FAILED with TaskCancelled, not retried", async () => {
    const worker = startWorker();
    await worker.waitForLine("worker started", (l) => l.includes('"worker started"'));
    const result = await slow.enqueue(60_000);
    await waitFor("the task started", startedRun(result.id));

    const askedAt = performance.now();
    await result.cancel();
    expect(result.status).toBe("RUNNING");
    expect(result.cancelRequestedAt).toBeInstanceOf(Date);
    await waitFor("FAILED", async () => (await record(result.id)).status === "FAILED", { everyMs: 5 });
    const latencyMs = Math.round(performance.now() - askedAt);
    console.log(`cancel of a RUNNING task in another process: FAILED ${latencyMs} ms after cancel()`);

    const failed = await record(result.id);
    expect(failed.attempts).toBe(1);
    expect(failed.errors).toHaveLength(1);
    expect(failed.errors[0]).toMatchObject({ exceptionClass: "TaskCancelled", attempt: 1 });
    expect(failed.errors[0]!.message).toMatch(/cancelled while running; its worker aborted its signal/);
    // The worker polls every 30 s: the abort came by notification.
    const aborted = logLines(worker.stdout).find((l) => l.msg === "task cancelled; aborting its signal");
    expect(aborted).toMatchObject({ taskId: result.id, via: "notification" });
    // Not retried, and the worker carries on with other work.
    const next = await slow.enqueue(10);
    await waitFor("the next task", async () => (await record(next.id)).status === "SUCCESSFUL");
    expect((await record(result.id)).status).toBe("FAILED");
    expect((await executions(tdb)).filter((e) => e.task_id === result.id).map((e) => e.label)).toEqual(["start"]);
  }, 60_000);

  it("marks a task that ignores its signal FAILED, and drops what it returns", async () => {
    const worker = startWorker();
    await worker.waitForLine("worker started", (l) => l.includes('"worker started"'));
    const result = await stubborn.enqueue(1_500);
    await waitFor("the task started", startedRun(result.id));
    await result.cancel();
    await waitFor("FAILED", async () => (await record(result.id)).status === "FAILED");
    // The function runs on to its end (JavaScript cannot stop it) …
    await waitFor("the function's end", async () =>
      (await executions(tdb)).some((e) => e.task_id === result.id && e.label === "end"),
    );
    // … and its return value is never stored.
    const failed = await record(result.id);
    expect(failed).toMatchObject({ status: "FAILED", attempts: 1, returnValue: undefined });
    expect(failed.errors.map((e) => e.exceptionClass)).toEqual(["TaskCancelled"]);
  }, 60_000);

  it("is seen by the poll when no notification arrives", async () => {
    const w = new Worker({ interval: 0.2, listen: false, logger: createLogger({ level: "silent" }) });
    workers.push(w);
    await w.start();
    const result = await slow.enqueue(60_000);
    await waitFor("the task started", startedRun(result.id));
    await getBackend().cancel(result.id);
    await waitFor("FAILED", async () => (await record(result.id)).status === "FAILED");
    expect((await record(result.id)).errors[0]).toMatchObject({ exceptionClass: "TaskCancelled" });
  }, 30_000);

  it("refuses to cancel a finished task with a clear INVALID_STATE error", async () => {
    const result = await slow.enqueue(10);
    await result.cancel();
    await expect(result.cancel()).rejects.toMatchObject({ code: "INVALID_STATE" });
    await expect(result.cancel()).rejects.toThrow(/it is FAILED, and only PENDING or RUNNING tasks can be cancelled/);
  });
});
