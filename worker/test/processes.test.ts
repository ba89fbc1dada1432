// Real worker processes (the `errand worker` CLI), killed and cut off in the ways
// production kills them.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { sql } from "kysely";
import type { TestDatabase } from "@errand/core/testing";
import pg from "pg";
import { testServerUrl } from "@errand/core/testing";
import { blocking, nap, record, slow, stubborn } from "./fixtures/tasks";
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
const SLOW_START_CONFIG = path.resolve(path.dirname(FIXTURE_CONFIG), "errand.slow-start.config.ts");
const suite = workerProcessSuite({ ready: (t) => (tdb = t), clear: ["errand_tasks", "executions"] });

function startWorker(...args: string[]): CliProcess {
  return suite.startWorker(["--config", FIXTURE_CONFIG, "--interval", "0.2", ...args]);
}

const started = (p: CliProcess) => p.waitForLine("worker started", (l) => l.includes('"worker started"'));

describe("several worker processes", () => {
  it("drain 5,000 tasks, each run exactly once", async () => {
    const results = await record.enqueueMany(Array.from({ length: 5_000 }, (_, i) => [`t${i}`] as [string]));
    const a = startWorker("--batch", "--concurrency", "25", "--log-level", "warn");
    const b = startWorker("--batch", "--concurrency", "25", "--log-level", "warn");
    const c = startWorker("--batch", "--concurrency", "25", "--log-level", "warn");
    const codes = await Promise.all([a.exited, b.exited, c.exited]);
    expect(codes, [...a.stderr, ...b.stderr, ...c.stderr].join("\n")).toEqual([0, 0, 0]);

    expect(await statusCounts(tdb)).toEqual({ SUCCESSFUL: 5_000 });
    const runs = await executions(tdb);
    expect(runs).toHaveLength(5_000);
    expect(new Set(runs.map((r) => r.task_id)).size).toBe(5_000);
    expect(new Set(runs.map((r) => r.task_id))).toEqual(new Set(results.map((r) => r.id)));
    // Every process took part.
    const byPid = new Map<number, number>();
    for (const r of runs) byPid.set(r.pid, (byPid.get(r.pid) ?? 0) + 1);
    expect(byPid.size).toBe(3);
    const { rows } = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM errand_tasks WHERE attempts <> 1 OR errors <> '[]'::jsonb`.execute(tdb.db);
    expect(rows[0]!.n).toBe(0);
  }, 90_000);
});

describe("crash safety", () => {
  it("kill -9 mid-task: after the lease lapses another worker finishes the tasks; none lost, none run to success twice", async () => {
    const results = await slow.enqueueMany(Array.from({ length: 6 }, () => [2_500] as [number]));
    const doomed = startWorker("--lease", "1", "--concurrency", "10");
    await waitFor(
      "all six started",
      async () => (await executions(tdb)).filter((e) => e.label === "start").length === 6,
    );
    doomed.child.kill("SIGKILL");
    expect(await doomed.exited).toBe("SIGKILL");

    const rescuer = startWorker("--lease", "1", "--concurrency", "10");
    await waitFor("all SUCCESSFUL", async () => (await statusCounts(tdb)).SUCCESSFUL === 6, { timeoutMs: 20_000 });
    const runs = await executions(tdb);
    // The killed attempts never ended; each task ended exactly once, on the rescuer.
    const ends = runs.filter((e) => e.label === "end");
    expect(ends).toHaveLength(6);
    expect(new Set(ends.map((e) => e.task_id))).toEqual(new Set(results.map((r) => r.id)));
    expect(new Set(ends.map((e) => e.pid))).toEqual(new Set([rescuer.child.pid]));
    const rows = await tdb.db.selectFrom("errand_tasks").selectAll().execute();
    for (const r of rows) {
      expect(r.attempts).toBe(2);
      expect(r.errors.map((e) => e.exceptionClass)).toEqual(["LeaseExpired"]);
    }
    expect(logLines(rescuer.stdout).some((l) => l.msg === "re-queued tasks whose lease lapsed")).toBe(true);
  }, 40_000);

  it("kill -9 with tasks claimed ahead in its local queue: another worker runs each of them once after the lease lapses", async () => {
    const results = await record.enqueueMany(Array.from({ length: 3_000 }, (_, i) => [`q${i}`] as [string]));
    const doomed = startWorker("--lease", "2", "--concurrency", "1", "--prefetch", "200", "--log-level", "warn");
    await waitFor("some run", async () => (await executions(tdb)).length > 300, { timeoutMs: 30_000 });
    doomed.child.kill("SIGKILL");
    expect(await doomed.exited).toBe("SIGKILL");
    // Held by the dead worker and never started: what its local queue held.
    const { rows: queued } = await sql<{ id: string }>`SELECT id FROM errand_tasks t
      WHERE status = 'RUNNING' AND NOT EXISTS (SELECT 1 FROM executions e WHERE e.task_id = t.id)`.execute(tdb.db);
    expect(queued.length).toBeGreaterThan(1);

    const rescuer = startWorker("--lease", "2", "--concurrency", "10", "--log-level", "warn");
    await waitFor("all SUCCESSFUL", async () => (await statusCounts(tdb)).SUCCESSFUL === 3_000, { timeoutMs: 40_000 });
    const runs = await executions(tdb);
    const queuedIds = new Set(queued.map((r) => r.id));
    const queuedRuns = runs.filter((r) => queuedIds.has(r.task_id));
    // Each task of the dead worker's queue ran exactly once, on the rescuer.
    expect(queuedRuns).toHaveLength(queuedIds.size);
    expect(new Set(queuedRuns.map((r) => r.task_id)).size).toBe(queuedIds.size);
    expect(new Set(queuedRuns.map((r) => r.pid))).toEqual(new Set([rescuer.child.pid]));
    // Nothing lost: every task ran at least once.
    expect(new Set(runs.map((r) => r.task_id))).toEqual(new Set(results.map((r) => r.id)));
  }, 90_000);

  it("survives pg_terminate_backend of its connections mid-run: nothing finished is lost or re-run", async () => {
    const first = await record.enqueueMany(Array.from({ length: 300 }, (_, i) => [`a${i}`] as [string]));
    const w = startWorker("--lease", "2", "--concurrency", "5");
    await started(w);
    const kill = () =>
      sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name <> 'keep'`.execute(
        tdb.db,
      );
    await waitFor("some finished", async () => ((await statusCounts(tdb)).SUCCESSFUL ?? 0) > 20, { timeoutMs: 20_000 });
    await kill();
    await waitFor("more finished", async () => ((await statusCounts(tdb)).SUCCESSFUL ?? 0) > 150, {
      timeoutMs: 20_000,
    });
    await kill();
    // Nothing gets lost: every task ends SUCCESSFUL.
    await waitFor("first batch done", async () => (await statusCounts(tdb)).SUCCESSFUL === 300, { timeoutMs: 20_000 });
    // The notification connection came back: a new enqueue runs without waiting for lapsed leases.
    const late = await record.enqueue("late");
    await waitFor("late task done", async () => (await late.refresh()).status === "SUCCESSFUL", { timeoutMs: 10_000 });

    const runs = await executions(tdb);
    const perTask = new Map<string, number>();
    for (const r of runs) perTask.set(r.task_id, (perTask.get(r.task_id) ?? 0) + 1);
    const rows = await tdb.db.selectFrom("errand_tasks").selectAll().execute();
    for (const r of rows) {
      // A task ran again only if an attempt failed or its lease lapsed, and that is recorded.
      expect(perTask.get(r.id) ?? 0).toBeLessThanOrEqual(r.attempts);
      expect(r.errors).toHaveLength(r.attempts - 1);
    }
    expect(rows.filter((r) => r.status === "SUCCESSFUL")).toHaveLength(301);
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set([...first.map((r) => r.id), late.id]));
    const logs = logLines(w.stdout);
    expect(logs.some((l) => l.msg.startsWith("notification connection lost"))).toBe(true);
    expect(logs.some((l) => l.msg === "notification connection restored")).toBe(true);
    expect(w.child.exitCode).toBeNull();
  }, 60_000);
});

describe("a task that blocks the event loop", () => {
  it("for 3× the lease, beside other running tasks and a second worker: each function runs once and ends SUCCESSFUL", async () => {
    const heavy = await blocking.enqueue(3_500);
    const others = await slow.enqueueMany(Array.from({ length: 4 }, () => [2_000] as [number]));
    const a = startWorker("--lease", "1", "--concurrency", "10");
    await waitFor(
      "all five started on the first worker",
      async () => (await executions(tdb)).filter((e) => e.label === "start").length === 5,
      { timeoutMs: 20_000 },
    );
    // The second worker sweeps for lapsed leases every half second while the first is blocked.
    const b = startWorker("--lease", "1", "--concurrency", "10");
    await started(b);
    await waitFor("all SUCCESSFUL", async () => (await statusCounts(tdb)).SUCCESSFUL === 5, { timeoutMs: 30_000 });

    const runs = await executions(tdb);
    const ids = [heavy.id, ...others.map((r) => r.id)];
    for (const label of ["start", "end"]) {
      const labelled = runs.filter((r) => r.label === label);
      expect(labelled.map((r) => r.task_id).sort()).toEqual([...ids].sort());
      expect(new Set(labelled.map((r) => r.pid))).toEqual(new Set([a.child.pid]));
    }
    const rows = await tdb.db.selectFrom("errand_tasks").selectAll().execute();
    for (const r of rows) expect([r.attempts, r.errors]).toEqual([1, []]);
    // Said in the log: the heartbeat thread while blocked, the worker once unblocked.
    expect(a.stderr.join("\n")).toContain("event loop blocked; the heartbeat keeps renewing");
    expect(logLines(a.stdout).some((l) => l.msg.startsWith("the event loop was blocked"))).toBe(true);
    expect(logLines(b.stdout).some((l) => l.msg === "re-queued tasks whose lease lapsed")).toBe(false);
  }, 60_000);

  it("past --max-stall, the heartbeat ends the process and another worker runs the task", async () => {
    const heavy = await blocking.enqueue(4_000);
    const a = startWorker("--lease", "1", "--max-stall", "1.5");
    expect(await a.exited).toBe("SIGKILL");
    expect(a.stderr.join("\n")).toContain("event loop blocked past --max-stall");
    const b = startWorker("--lease", "1");
    await waitFor("SUCCESSFUL", async () => (await heavy.refresh()).status === "SUCCESSFUL", { timeoutMs: 30_000 });
    const stored = await heavy.refresh();
    expect([stored.attempts, stored.errors.map((e) => e.exceptionClass)]).toEqual([2, ["LeaseExpired"]]);
    const ends = (await executions(tdb)).filter((r) => r.label === "end");
    expect(ends.map((r) => r.pid)).toEqual([b.child.pid]);
  }, 60_000);
});

describe("database outage", () => {
  it("keeps its results while the database refuses connections, then stores them and carries on", async () => {
    // 60 tasks of 0.2 s, 5 at a time: ≈2.4 s of work, cut by a 2.5 s outage.
    await nap.enqueueMany(Array.from({ length: 60 }, () => [200] as [number]));
    const w = startWorker("--lease", "30", "--concurrency", "5");
    await waitFor("some finished", async () => ((await statusCounts(tdb)).SUCCESSFUL ?? 0) >= 5, { timeoutMs: 20_000 });
    const admin = new pg.Client({ connectionString: testServerUrl() });
    admin.on("error", () => undefined);
    await admin.connect();
    try {
      await admin.query(`ALTER DATABASE "${tdb.name}" WITH ALLOW_CONNECTIONS false`);
      await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", [tdb.name]);
      // The outage lasts this long; nothing is asserted during it.
      await new Promise((r) => setTimeout(r, 2_500));
    } finally {
      await admin.query(`ALTER DATABASE "${tdb.name}" WITH ALLOW_CONNECTIONS true`);
      await admin.end();
    }
    await waitFor("all done", async () => (await statusCounts(tdb)).SUCCESSFUL === 60, { timeoutMs: 30_000 });
    const rows = await tdb.db.selectFrom("errand_tasks").selectAll().execute();
    // Nothing ran twice: one attempt each, unless a claim committed with its reply lost, in
    // which case the lapsed lease is the only error. The lease (30 s) outlived the outage.
    for (const r of rows) {
      expect(r.errors.every((e) => e.exceptionClass === "LeaseExpired")).toBe(true);
      expect(r.attempts).toBe(1 + r.errors.length);
    }
    const msgs = logLines(w.stdout).map((l) => l.msg);
    expect(msgs).toContain("database reachable again; claiming");
    // Tasks finished during the outage: their results waited in memory and were stored after.
    expect(msgs).toContain("storing results failed; retrying");
    expect(w.child.exitCode).toBeNull();
  }, 60_000);
});

describe("shutdown", () => {
  it("SIGTERM: stops claiming, lets the running task finish, exits 0", async () => {
    const running = await slow.enqueue(1_500);
    const w = startWorker("--concurrency", "1", "--shutdown-grace", "20");
    await waitFor("started", async () => (await executions(tdb)).length === 1, { timeoutMs: 20_000 });
    const waiting = await slow.enqueue(10);
    w.child.kill("SIGTERM");
    expect(await w.exited).toBe(0);
    expect((await running.refresh()).status).toBe("SUCCESSFUL");
    expect((await executions(tdb)).map((e) => e.label)).toEqual(["start", "end"]);
    // The task enqueued after the signal was not claimed.
    await waiting.refresh();
    expect([waiting.status, waiting.attempts]).toEqual(["PENDING", 0]);
    const msgs = logLines(w.stdout).map((l) => l.msg);
    expect(msgs.some((m) => m.startsWith("SIGTERM received"))).toBe(true);
    expect(msgs.at(-1)).toBe("worker stopped");
  }, 30_000);

  it("SIGTERM while it still loads its task modules: exits 0 once they are loaded, claims nothing", async () => {
    const waiting = await nap.enqueue(10);
    const w = suite.startWorker(["--config", SLOW_START_CONFIG, "--interval", "0.2"]);
    await w.waitForLine("loading its task modules", (l) => l === "slow task module: loading");
    w.child.kill("SIGTERM");
    expect(await w.exited).toBe(0);
    const msgs = logLines(w.stdout).map((l) => l.msg);
    expect(msgs).toContain("SIGTERM received while starting: not starting");
    expect(msgs).not.toContain("worker started");
    await waiting.refresh();
    expect([waiting.status, waiting.attempts]).toEqual(["PENDING", 0]);
  }, 30_000);

  it("SIGTERM with a task that outlives the grace period: its signal aborts, the attempt is stored for retry, exit 0", async () => {
    const result = await stubborn.enqueue(60_000);
    const w = startWorker("--shutdown-grace", "0.5");
    await waitFor("started", async () => (await executions(tdb)).length === 1, { timeoutMs: 20_000 });
    const t0 = Date.now();
    w.child.kill("SIGTERM");
    expect(await w.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5_000);
    await result.refresh();
    expect(result.status).toBe("PENDING");
    expect(result.errors.map((e) => e.exceptionClass)).toEqual(["WorkerShutdown"]);
  }, 30_000);

  it("a second signal exits at once", async () => {
    await stubborn.enqueue(60_000);
    const w = startWorker("--shutdown-grace", "60");
    await waitFor("started", async () => (await executions(tdb)).length === 1, { timeoutMs: 20_000 });
    w.child.kill("SIGINT");
    await w.waitForLine("first signal seen", (l) => l.includes("SIGINT received"));
    const t0 = Date.now();
    w.child.kill("SIGINT");
    expect(await w.exited).toBe(1);
    expect(Date.now() - t0).toBeLessThan(2_000);
  }, 30_000);
});
