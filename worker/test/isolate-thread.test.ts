// Tasks defined with `isolate: "thread"`, run by real worker processes (the `errand worker`
// CLI): each attempt runs in its own worker thread.
import { describe, expect, it } from "vitest";
import type { TestDatabase } from "@errand/core/testing";
import { heavyIsolated, hopelessIsolated, record, spinIsolated } from "./fixtures/tasks";
import {
  executions,
  FIXTURE_CONFIG,
  logLines,
  statusCounts,
  waitFor,
  type CliProcess,
  workerProcessSuite,
} from "./helpers";

let tdb: TestDatabase;
const suite = workerProcessSuite({ ready: (t) => (tdb = t), clear: ["errand_tasks", "executions"] });

function startWorker(...args: string[]): CliProcess {
  return suite.startWorker(["--config", FIXTURE_CONFIG, "--interval", "0.2", ...args]);
}

describe('isolate: "thread"', () => {
  it("a task doing 3× the lease of synchronous work stalls neither the worker's other tasks nor its leases", async () => {
    const heavy = await heavyIsolated.enqueue(3_000);
    const a = startWorker("--lease", "1", "--concurrency", "4");
    await waitFor("the heavy task started", async () => (await executions(tdb)).some((e) => e.label === "start"), {
      timeoutMs: 20_000,
    });
    const quick = await record.enqueueMany(Array.from({ length: 20 }, (_, i) => [`q${i}`] as [string]));
    // A second worker would rescue the heavy task if its lease lapsed.
    startWorker("--lease", "1", "--concurrency", "4", "--queue-name", "none");
    await waitFor(
      "the quick tasks done",
      async () => (await statusCounts(tdb)).SUCCESSFUL === 20 || (await heavy.refresh()).isFinished,
      { timeoutMs: 20_000 },
    );
    // The quick tasks ran on the same worker while the heavy one was still spinning.
    expect((await heavy.refresh()).status).toBe("RUNNING");
    const quickIds = new Set(quick.map((r) => r.id));
    expect((await executions(tdb)).filter((e) => quickIds.has(e.task_id)).map((e) => e.pid)).toEqual(
      Array.from({ length: 20 }, () => a.child.pid),
    );
    await waitFor("the heavy task done", async () => (await heavy.refresh()).isFinished, { timeoutMs: 20_000 });
    const stored = await heavy.refresh();
    expect([stored.status, stored.attempts, stored.errors, stored.returnValue]).toEqual([
      "SUCCESSFUL",
      1,
      [],
      { blockedMs: 3_000 },
    ]);
    expect(stored.progress).toMatchObject({ done: 1, total: 1 });
    const heavyRuns = (await executions(tdb)).filter((e) => e.task_id === heavy.id);
    expect(heavyRuns.map((e) => e.label)).toEqual(["start", "end"]);
    // The event loop was never blocked long enough to be reported.
    expect(logLines(a.stdout).some((l) => l.msg.startsWith("the event loop was blocked"))).toBe(false);
    expect(a.stderr.join("\n")).not.toContain("event loop blocked");
  }, 60_000);

  it("its timeout ends the thread: a function that never yields is stopped, and the worker carries on", async () => {
    const spin = await spinIsolated.enqueue();
    const a = startWorker("--lease", "1", "--concurrency", "2");
    await waitFor("timed out", async () => (await spin.refresh()).isFinished, { timeoutMs: 20_000 });
    const stored = await spin.refresh();
    expect(stored.status).toBe("FAILED");
    expect(
      stored.errors.map((e) => e.exceptionClass),
      JSON.stringify(stored.errors),
    ).toEqual(["TaskTimeoutError"]);
    // The worker's slots are free again and its event loop alive.
    const after = await record.enqueue("after");
    await waitFor("the next task done", async () => (await after.refresh()).status === "SUCCESSFUL", {
      timeoutMs: 20_000,
    });
    a.child.kill("SIGTERM");
    expect(await a.exited).toBe(0);
  }, 60_000);

  it("an error thrown in the thread keeps its class and DoNotRetry", async () => {
    const hopeless = await hopelessIsolated.enqueue("the card was declined");
    startWorker("--lease", "1");
    await waitFor("failed", async () => (await hopeless.refresh()).isFinished, { timeoutMs: 20_000 });
    const stored = await hopeless.refresh();
    expect([stored.status, stored.attempts]).toEqual(["FAILED", 1]);
    expect(stored.errors[0]).toMatchObject({ exceptionClass: "DoNotRetry", message: "the card was declined" });
    expect(stored.errors[0]!.traceback).toContain("tasks.ts");
  }, 60_000);
});
