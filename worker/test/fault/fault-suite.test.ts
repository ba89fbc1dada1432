// The fault suite: three real worker processes drain thousands of tasks on the real Postgres
// while one of them is killed with SIGKILL every few seconds and restarted, every database
// connection of the workers is terminated mid-drain (pg_terminate_backend), and some tasks
// block their worker's event loop for longer than the lease. Each run of a task writes a row
// to `fault_runs` when it starts and stamps it when it ends; the invariants are read from
// that side table and the task rows. Prints its figures (tasks, kills, restarts, re-runs,
// longest rescue).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import type { TestDatabase } from "@errand/core/testing";
import { faultWork } from "../fixtures/tasks";
import { FIXTURE_CONFIG, setUpDatabase, spawnCli, statusCounts, tearDownDatabase, type CliProcess } from "../helpers";

const TASKS = 3_000;
const STALLS = 6;
const LEASE_SECONDS = 2;
/** A stall of 2.5 leases: without the heartbeat thread its tasks would be rescued and re-run. */
const STALL_MS = LEASE_SECONDS * 2_500;
const KILL_EVERY_MS = 5_000;
/** The drain fails when no task became SUCCESSFUL for this long (several kill cycles and leases). */
const STUCK_MS = 40_000;
/** And in any case after this long. */
const DRAIN_LIMIT_MS = 420_000;

let tdb: TestDatabase;
const procs: CliProcess[] = [];

beforeAll(async () => {
  tdb = await setUpDatabase();
  await sql`CREATE UNLOGGED TABLE fault_runs (
    id bigserial PRIMARY KEY, task_id uuid NOT NULL, attempt int NOT NULL, pid int NOT NULL,
    started_at timestamptz NOT NULL DEFAULT clock_timestamp(), ended_at timestamptz)`.execute(tdb.db);
});

afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
  await Promise.all(procs.map((p) => p.exited));
  await tearDownDatabase(tdb);
});

function startWorker(): CliProcess {
  const p = spawnCli(
    [
      "worker",
      "--config",
      FIXTURE_CONFIG,
      "--interval",
      "0.2",
      "--concurrency",
      "8",
      "--lease",
      String(LEASE_SECONDS),
      "--rescue-interval",
      "0.5",
      // info: the test waits for "worker started" before its last SIGTERM.
      "--log-level",
      "info",
      "--no-startup-delay",
    ],
    // The workers' connections are told apart from this test's by their application name.
    { databaseUrl: tdb.url, env: { PGAPPNAME: "errand fault worker" } },
  );
  procs.push(p);
  return p;
}

interface Run {
  task_id: string;
  pid: number;
  started: number;
  ended: number | null;
}

describe("fault suite", () => {
  it(
    "3 workers drain while one is killed every few seconds, connections are cut and event loops stall: every task ends SUCCESSFUL, no run overlaps another of its task",
    async () => {
      const began = Date.now();
      const args = Array.from({ length: TASKS }, (_, i): [number, number] => [
        20 + (i % 5) * 10,
        i % Math.floor(TASKS / STALLS) === 7 ? STALL_MS : 0,
      ]);
      await faultWork.enqueueMany(args);
      const workers = [startWorker(), startWorker(), startWorker()];
      /** When each killed process died (ms since the epoch). */
      const killedAt = new Map<number, number>();
      let kills = 0;
      let restarts = 0;
      let terminations = 0;
      let done = false;

      const successful = async () => (await statusCounts(tdb)).SUCCESSFUL ?? 0;
      const chaos = (async () => {
        let next = 0;
        while (!done) {
          await new Promise((r) => setTimeout(r, KILL_EVERY_MS));
          if (done) break;
          const victim = workers[next]!;
          victim.child.kill("SIGKILL");
          await victim.exited;
          killedAt.set(victim.child.pid!, Date.now());
          kills += 1;
          workers[next] = startWorker();
          restarts += 1;
          next = (next + 1) % workers.length;
          // Once, a third into the drain: every connection of the workers is cut.
          if (terminations === 0 && (await successful()) > TASKS / 3) {
            const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM (
              SELECT pg_terminate_backend(pid) FROM pg_stat_activity
              WHERE datname = current_database()
                AND application_name IN ('errand fault worker', 'errand heartbeat')) t`.execute(tdb.db);
            terminations = rows[0]!.n;
          }
        }
      })();

      try {
        // Until every task is SUCCESSFUL, as long as the drain moves: a loaded machine drains
        // slower (each kill costs a worker's start-up), a stuck task stops it.
        let last = -1;
        let movedAt = Date.now();
        for (;;) {
          const now = await successful();
          if (now === TASKS) break;
          if (now !== last) [last, movedAt] = [now, Date.now()];
          if (Date.now() - movedAt > STUCK_MS) throw new Error(`no task finished for ${STUCK_MS / 1000} s`);
          if (Date.now() - began > DRAIN_LIMIT_MS) throw new Error(`not drained after ${DRAIN_LIMIT_MS / 1000} s`);
          await new Promise((r) => setTimeout(r, 250));
        }
      } catch (error) {
        const tail = workers
          .flatMap((w) => [...w.stdout.filter((l) => !l.includes(`"level":"info"`)).slice(-5), ...w.stderr.slice(-5)])
          .join("\n");
        throw new Error(
          `${(error as Error).message}; ${JSON.stringify(await statusCounts(tdb))}, kills ${kills}\n${tail}`,
          { cause: error },
        );
      } finally {
        done = true;
        await chaos;
      }
      // A worker restarted just now may still be loading: the signal goes to running workers.
      await Promise.all(
        workers.map((w) => w.waitForLine("worker started", (l) => l.includes('"worker started"'), 60_000)),
      );
      for (const w of workers) w.child.kill("SIGTERM");
      const codes = await Promise.all(workers.map((w) => w.exited));
      const drainSeconds = (Date.now() - began) / 1000;

      // Nothing left RUNNING or PENDING: every task ended SUCCESSFUL.
      expect(await statusCounts(tdb)).toEqual({ SUCCESSFUL: TASKS });
      expect(codes).toEqual([0, 0, 0]);

      const { rows } = await sql<{ task_id: string; pid: number; started: string; ended: string | null }>`
      SELECT task_id, pid, (extract(epoch FROM started_at) * 1000)::float8::text AS started,
             (extract(epoch FROM ended_at) * 1000)::float8::text AS ended
      FROM fault_runs ORDER BY task_id, started_at`.execute(tdb.db);
      const runs: Run[] = rows.map((r) => ({
        task_id: r.task_id,
        pid: r.pid,
        started: Number(r.started),
        ended: r.ended === null ? null : Number(r.ended),
      }));
      const byTask = new Map<string, Run[]>();
      for (const run of runs) byTask.set(run.task_id, [...(byTask.get(run.task_id) ?? []), run]);
      expect(byTask.size).toBe(TASKS);

      // No run starts while another run of its task is alive: a run is alive until it ended,
      // or, killed before it ended, until its process died.
      const overlaps: string[] = [];
      const unended: string[] = [];
      let longestRescueMs = 0;
      for (const [taskId, taskRuns] of byTask) {
        for (let i = 1; i < taskRuns.length; i++) {
          const before = taskRuns[i - 1]!;
          const after = taskRuns[i]!;
          const diedAt = killedAt.get(before.pid);
          const aliveUntil = before.ended ?? diedAt;
          if (aliveUntil === undefined || after.started < aliveUntil) {
            overlaps.push(`${taskId}: run on ${after.pid} started while the run on ${before.pid} was alive`);
          }
          // From the death of the process running it to the next start (a task claimed ahead
          // by a worker killed in turn waits out one more lease).
          if (before.ended === null && diedAt !== undefined) {
            longestRescueMs = Math.max(longestRescueMs, after.started - diedAt);
          }
        }
        // The successful run is the last one and it ended.
        const last = taskRuns.at(-1)!;
        if (last.ended === null)
          unended.push(`${taskId}: the last run (on ${last.pid}, of ${taskRuns.length}) never ended`);
      }
      // Both lists at once: an overlap often also leaves a last run that never ended.
      expect({ overlaps: overlaps.slice(0, 10), unended: unended.slice(0, 10) }).toEqual({ overlaps: [], unended: [] });

      const reRuns = runs.length - TASKS;
      const figures = {
        tasks: TASKS,
        runs: runs.length,
        reRuns,
        kills,
        restarts,
        connectionsTerminated: terminations,
        stalls: `${STALLS} × ${STALL_MS} ms (lease ${LEASE_SECONDS} s)`,
        longestRescueMs: Math.round(longestRescueMs),
        drainSeconds,
      };
      console.log(`fault suite: ${JSON.stringify(figures)}`);
      expect(kills).toBeGreaterThanOrEqual(2);
      expect(terminations).toBeGreaterThan(0);
    },
    DRAIN_LIMIT_MS + 60_000,
  );
});
