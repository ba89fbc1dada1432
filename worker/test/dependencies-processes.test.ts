// Fan-out / fan-in across real worker processes: every fan-in starts only after its children
// finished, sees what they returned, runs once; a failing child fails exactly its fan-in.
import { describe, expect, it } from "vitest";
import { sql } from "kysely";
import type { TestDatabase } from "@errand/core/testing";
import { fanIn, fanOutChild } from "./fixtures/tasks";
import { FIXTURE_CONFIG, statusCounts, waitFor, workerProcessSuite } from "./helpers";

let tdb: TestDatabase;
const suite = workerProcessSuite({ ready: (t) => (tdb = t), clear: ["errand_tasks", "executions"] });

const GROUPS = 200;
const CHILDREN = 10;
/** The group with one failing child. */
const FAILING = 137;

describe("fan-out and fan-in across three worker processes", () => {
  it(`${GROUPS} fan-outs of ${CHILDREN} tasks each with one fan-in apiece`, async () => {
    const groups: { fanInId: string; childIds: string[] }[] = [];
    for (let g = 0; g < GROUPS; g++) {
      const children = await fanOutChild.enqueueMany(
        Array.from({ length: CHILDREN }, (_, i) => [g * 100 + i, g === FAILING && i === 3] as [number, boolean]),
      );
      const done = await fanIn.using({ dependsOn: children }).enqueue(g);
      expect(done.waitingOn).toBe(CHILDREN);
      groups.push({ fanInId: done.id, childIds: children.map((c) => c.id) });
    }
    const workers = [1, 2, 3].map(() =>
      suite.startWorker([
        "--config",
        FIXTURE_CONFIG,
        "--interval",
        "0.2",
        "--concurrency",
        "10",
        "--log-level",
        "warn",
      ]),
    );
    const total = GROUPS * (CHILDREN + 1);
    await waitFor(
      "every task finished",
      async () => {
        const counts = await statusCounts(tdb);
        return (counts.SUCCESSFUL ?? 0) + (counts.FAILED ?? 0) === total;
      },
      { timeoutMs: 120_000 },
    );
    for (const w of workers) w.child.kill("SIGTERM");
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0, 0]);

    expect(await statusCounts(tdb)).toEqual({ SUCCESSFUL: total - 2, FAILED: 2 });
    const { rows: runs } = await sql<{ task_id: string; label: string; pid: number; at: Date }>`
      SELECT task_id, label, pid, at FROM executions ORDER BY id`.execute(tdb.db);
    const byTask = new Map<string, typeof runs>();
    for (const r of runs) byTask.set(r.task_id, [...(byTask.get(r.task_id) ?? []), r]);

    for (const [g, { fanInId, childIds }] of groups.entries()) {
      const own = byTask.get(fanInId) ?? [];
      if (g === FAILING) {
        // Never ran; failed naming the child that failed.
        expect(own).toEqual([]);
        const stored = await fanIn.getResult(fanInId);
        expect(stored.status).toBe("FAILED");
        expect(stored.errors.map((e) => e.exceptionClass)).toEqual(["DependencyFailed"]);
        expect(stored.errors[0]!.message).toContain(childIds[3]!);
        continue;
      }
      // Ran once, after each of its children's end, with their return values in order.
      expect(own).toHaveLength(1);
      const lastChildEnd = Math.max(
        ...childIds.map((id) => {
          const end = (byTask.get(id) ?? []).find((r) => r.label === "end");
          expect(end, `child ${id} of group ${g} ended`).toBeDefined();
          return end!.at.getTime();
        }),
      );
      expect(own[0]!.at.getTime()).toBeGreaterThanOrEqual(lastChildEnd);
      expect(own[0]!.label).toBe(
        `fan-in ${JSON.stringify(Array.from({ length: CHILDREN }, (_, i) => (g * 100 + i) * 10))}`,
      );
      const stored = await fanIn.getResult(fanInId);
      expect([stored.status, stored.attempts, stored.waitingOn]).toEqual(["SUCCESSFUL", 1, 0]);
    }
    // Every child ran exactly once; the three processes shared the work.
    const starts = runs.filter((r) => r.label === "start");
    expect(starts).toHaveLength(GROUPS * CHILDREN);
    expect(new Set(starts.map((r) => r.task_id)).size).toBe(GROUPS * CHILDREN);
    expect(new Set(runs.map((r) => r.pid)).size).toBe(3);
  }, 180_000);
});
