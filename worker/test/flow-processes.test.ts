// Flow control across three real `errand worker` processes, each with its own connections,
// checked from a side table of run intervals (`flow_runs`), not from the workers' word.
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { getBackend } from "@errand/core";
import type { TestDatabase } from "@errand/core/testing";
import { limitedWork, pausableWork, ratedWork, syncCustomer } from "./fixtures/flow-tasks";
import { FIXTURE_CONFIG, statusCounts, waitFor, type CliProcess, workerProcessSuite } from "./helpers";

const FLOW_CONFIG = path.join(path.dirname(FIXTURE_CONFIG), "errand.flow.config.ts");

let tdb: TestDatabase;
const suite = workerProcessSuite({
  ready: (t) => (tdb = t),
  clear: ["errand_tasks", "flow_runs", "errand_queues", "errand_queue_starts"],
});
beforeAll(async () => {
  await sql`CREATE UNLOGGED TABLE flow_runs (
    id bigserial PRIMARY KEY, task_id uuid NOT NULL, label text NOT NULL, pid int NOT NULL,
    started_at timestamptz NOT NULL, ended_at timestamptz NOT NULL)`.execute(tdb.db);
});

interface Run {
  label: string;
  pid: number;
  start: number;
  end: number;
}

async function runs(): Promise<Run[]> {
  const { rows } = await sql<{ label: string; pid: number; started_at: Date; ended_at: Date }>`
    SELECT label, pid, started_at, ended_at FROM flow_runs ORDER BY started_at`.execute(tdb.db);
  return rows.map((r) => ({ label: r.label, pid: r.pid, start: r.started_at.getTime(), end: r.ended_at.getTime() }));
}

/** The most runs in progress at once. */
function maxOverlap(list: readonly Run[]): number {
  const events = list.flatMap((r) => [
    { at: r.start, d: 1 },
    { at: r.end, d: -1 },
  ]);
  // Ends before starts at the same instant: a slot freed and taken is not an overlap.
  events.sort((a, b) => a.at - b.at || a.d - b.d);
  let now = 0;
  let max = 0;
  for (const e of events) max = Math.max(max, (now += e.d));
  return max;
}

async function startThree(concurrency: number, ...args: string[]): Promise<CliProcess[]> {
  const procs = [0, 1, 2].map(() =>
    suite.startWorker(["--config", FLOW_CONFIG, "--interval", "0.2", "--concurrency", String(concurrency), ...args]),
  );
  await Promise.all(procs.map((p) => p.waitForLine("worker started", (l) => l.includes('"worker started"'))));
  return procs;
}

const ranAll = (n: number) => waitFor(`${n} runs`, async () => (await runs()).length >= n, { timeoutMs: 60_000 });

describe("three worker processes", () => {
  it("never run more than a queue's concurrency (2) at once", async () => {
    await limitedWork.enqueueMany(Array.from({ length: 12 }, (_, i) => [`l${i}`, 150] as [string, number]));
    // One task at a time per process: two runs at once can only be two processes, so the limit
    // is checked across processes whichever worker wins each freed slot.
    await startThree(1);
    await ranAll(12);
    const all = await runs();
    expect(maxOverlap(all)).toBeLessThanOrEqual(2);
    expect(maxOverlap(all)).toBe(2);
    expect(new Set(all.map((r) => r.pid)).size).toBeGreaterThan(1);
  }, 90_000);

  it("never overlap two runs of one concurrency key, while other keys run in parallel", async () => {
    const customers = ["a", "b", "c", "d"];
    await syncCustomer.enqueueMany(customers.flatMap((c) => [0, 1, 2].map(() => [c, 150] as [string, number])));
    await startThree(5);
    await ranAll(12);
    const all = await runs();
    for (const c of customers) expect(maxOverlap(all.filter((r) => r.label === c)), `customer ${c}`).toBe(1);
    expect(maxOverlap(all)).toBeGreaterThan(1);
  }, 90_000);

  it("keep a rate limit of 10 per second in every 1-second window, draining at about 10/s", async () => {
    await ratedWork.enqueueMany(Array.from({ length: 40 }, (_, i) => [`r${i}`, 0] as [string, number]));
    await startThree(5);
    await ranAll(40);
    const starts = (await runs()).map((r) => r.start).sort((a, b) => a - b);
    for (let i = 0; i < starts.length; i++) {
      const inWindow = starts.filter((s) => s >= starts[i]! && s < starts[i]! + 1000).length;
      expect(inWindow, `starts in the second from ${new Date(starts[i]!).toISOString()}`).toBeLessThanOrEqual(10);
    }
    // 40 starts at 10/s: the first ten at once, the last ones ≥ 3 s later; ≈10/s, not much slower.
    const seconds = (starts.at(-1)! - starts[0]!) / 1000;
    expect(seconds).toBeGreaterThanOrEqual(3);
    expect(seconds).toBeLessThan(6.5);
  }, 90_000);

  it("stop starting a paused queue's tasks within a second on all three, and drain it once resumed", async () => {
    await pausableWork.enqueueMany(Array.from({ length: 600 }, (_, i) => [`p${i}`, 100] as [string, number]));
    await startThree(5, "--prefetch", "50");
    await waitFor("runs on all three", async () => new Set((await runs()).map((r) => r.pid)).size === 3, {
      timeoutMs: 30_000,
    });
    await getBackend().pauseQueue("pausable");
    const pausedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const late = (await runs()).filter((r) => r.start > pausedAt + 1000);
    expect(late).toEqual([]);
    const counts = await statusCounts(tdb);
    expect(counts.RUNNING ?? 0).toBe(0);
    expect(counts.PENDING).toBeGreaterThan(0);
    // Enqueues are still accepted while paused.
    await pausableWork.enqueue("while-paused", 0);
    await getBackend().resumeQueue("pausable");
    await ranAll(601);
    // A run's start is recorded before its result is stored: wait for the last results.
    await waitFor("601 results stored", async () => (await statusCounts(tdb)).SUCCESSFUL === 601, {
      timeoutMs: 30_000,
    });
    expect(await statusCounts(tdb)).toEqual({ SUCCESSFUL: 601 });
    // Nothing given back counted an attempt.
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM errand_tasks WHERE attempts <> 1`.execute(
      tdb.db,
    );
    expect(rows[0]!.n).toBe(0);
  }, 120_000);

  it("free the slot of a worker killed with -9 once its lease lapses", async () => {
    const doomed = suite.startWorker(["--config", FLOW_CONFIG, "--interval", "0.2", "--lease", "2"]);
    await doomed.waitForLine("worker started", (l) => l.includes('"worker started"'));
    await limitedWork.enqueueMany([
      ["held-1", 20_000],
      ["held-2", 20_000],
    ]);
    await waitFor("both slots held", async () => (await statusCounts(tdb)).RUNNING === 2);
    doomed.child.kill("SIGKILL");
    await doomed.exited;
    await limitedWork.enqueue("waiting", 0);
    const killedAt = Date.now();
    suite.startWorker(["--config", FLOW_CONFIG, "--interval", "0.2", "--rescue-interval", "0.5"]);
    await waitFor("the waiting task ran", async () => (await runs()).some((r) => r.label === "waiting"), {
      timeoutMs: 30_000,
    });
    // It could only start once the lease (2 s) of a killed task lapsed and a rescue freed a slot.
    const waiting = (await runs()).find((r) => r.label === "waiting")!;
    expect(waiting.start - killedAt).toBeGreaterThan(500);
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM errand_tasks WHERE status = 'RUNNING' AND queue_name = 'limited'`.execute(tdb.db);
    expect(rows[0]!.n).toBeLessThanOrEqual(2);
  }, 90_000);
});
