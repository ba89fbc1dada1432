// The claim loop, without a worker: the test plays the attempts (it holds what was claimed
// and frees slots itself) and the result flusher (settled, epoch).
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import type { Database } from "@errand/db";
import type { TaskRecord } from "@errand/core";
import { PostgresTaskStore, queries } from "@errand/core/internal";
import { insertTasks, testServerUrl, type TestDatabase } from "@errand/core/testing";
import { ClaimLoop, type ClaimLoopOptions } from "../src/claim-loop";
import type { LogFields, Logger } from "../src/logger";
import { memoryStore, setUpDatabase, statusCounts, tearDownDatabase, waitFor } from "./helpers";

let tdb: TestDatabase;
const WORKER = "loop-test";
const loops: { loop: ClaimLoop; done: Promise<void> }[] = [];

beforeAll(async () => {
  tdb = await setUpDatabase();
});

afterEach(async () => {
  for (const { loop, done } of loops.splice(0)) {
    loop.stop();
    await done;
    await loop.giveBack();
  }
  await sql`DELETE FROM errand_tasks`.execute(tdb.db);
});

afterAll(async () => {
  await tearDownDatabase(tdb);
});

/**
 * Starts a loop on `store` (default: the test database; `db`: Postgres through that Kysely
 * instance); `running` holds what it claimed until the test finishes it.
 */
function start({ db, ...options }: Partial<ClaimLoopOptions> & { db?: Kysely<Database> } = {}) {
  const store = options.store ?? new PostgresTaskStore(db ?? tdb.db);
  const lines: ({ msg: string } & LogFields)[] = [];
  const at = (msg: string, fields: LogFields = {}) => lines.push({ msg, ...fields });
  const logger: Logger = { debug: at, info: at, warn: at, error: at };
  const running = new Map<string, TaskRecord>();
  const results = { settled: true, epoch: 0 };
  let drained = 0;
  const loop = new ClaimLoop({
    store,
    workerId: WORKER,
    queues: "*",
    excludeQueues: [],
    leaseSeconds: 30,
    concurrency: 10,
    prefetch: 0,
    prefetchTimeoutMs: 5000,
    maxTasks: null,
    batch: false,
    logger,
    running: () => running.size,
    onClaimed: (row) => running.set(row.id, row),
    results,
    onDrained: () => (drained += 1),
    ...options,
  });
  const done = loop.run();
  loops.push({ loop, done });
  /** Stores a success for these running tasks and frees their slots, as the worker would. */
  const finish = async (tasks: TaskRecord[]) => {
    await store.taskComplete({
      workerId: WORKER,
      results: tasks.map((t) => ({ id: t.id, returnValue: "1" })),
    });
    for (const t of tasks) running.delete(t.id);
    results.epoch += 1;
    loop.slotFreed();
  };
  const claims = () => lines.filter((l) => l.msg === "claimed");
  return { loop, done, running, results, lines, claims, finish, drained: () => drained };
}

/** Synchronous work for `ms`: the event loop runs nothing else meanwhile (a CPU-bound task). */
function blockEventLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // blocked
  }
}

describe("ClaimLoop", () => {
  it("without prefetch, never claims more than its free slots, and refills a slot when it frees up", async () => {
    await insertTasks(
      tdb.db,
      Array.from({ length: 5 }, () => ({})),
    );
    const { loop, running, finish } = start({ concurrency: 2 });
    await waitFor("two claimed", () => running.size === 2);
    expect(await statusCounts(tdb)).toEqual({ RUNNING: 2, PENDING: 3 });
    await finish([...running.values()].slice(0, 1));
    await waitFor("the slot refilled", () => loop.claimed === 3 && running.size === 2);
    expect(await statusCounts(tdb)).toEqual({ SUCCESSFUL: 1, RUNNING: 2, PENDING: 2 });
  });

  it("claims only its queues, or every queue but the excluded ones", async () => {
    const queues = [{ queue_name: "a" }, { queue_name: "b" }, { queue_name: "c" }];
    await insertTasks(tdb.db, queues);
    const only = start({ queues: ["a", "c"] });
    await waitFor("a claim", () => only.claims().length > 0);
    only.loop.stop();
    await only.done;
    expect([...only.running.values()].map((t) => t.queueName).sort()).toEqual(["a", "c"]);
    await sql`DELETE FROM errand_tasks`.execute(tdb.db);
    await insertTasks(tdb.db, queues);
    const but = start({ excludeQueues: ["a"] });
    await waitFor("a claim", () => but.claims().length > 0);
    expect([...but.running.values()].map((t) => t.queueName).sort()).toEqual(["b", "c"]);
  });

  it("wake() makes an idle loop claim at once", async () => {
    const { loop, claims, running } = start({ concurrency: 1 });
    await waitFor("the first, empty claim", () => claims().length === 1);
    const [row] = await insertTasks(tdb.db, [{}]);
    // Nothing wakes it but this (no poll timer in the loop itself).
    loop.wake();
    await waitFor("claimed", () => running.has(row!.id));
  });

  it("batch: drains only when nothing is due, nothing runs and every result is stored", async () => {
    await insertTasks(tdb.db, [{}, {}]);
    const t = start({ batch: true });
    await waitFor("both claimed", () => t.running.size === 2);
    // Finished, but the results are not stored yet: a claim that finds nothing must not end it.
    t.results.settled = false;
    for (const id of [...t.running.keys()]) t.running.delete(id);
    t.loop.wake();
    await waitFor("a second, empty claim", () => t.claims().length === 2);
    expect(t.drained()).toBe(0);
    t.results.settled = true;
    t.results.epoch += 1;
    t.loop.wake();
    await t.done;
    expect(t.drained()).toBe(1);
  });

  it("ends after claiming maxTasks", async () => {
    await insertTasks(
      tdb.db,
      Array.from({ length: 5 }, () => ({})),
    );
    const t = start({ maxTasks: 3, concurrency: 2 });
    await waitFor("two claimed", () => t.running.size === 2);
    await t.finish([...t.running.values()]);
    // One more slot's worth is left of the budget: it claims that one and ends.
    await t.done;
    expect(t.loop.claimed).toBe(3);
    expect(await statusCounts(tdb)).toEqual({ SUCCESSFUL: 2, RUNNING: 1, PENDING: 2 });
    expect(t.lines.map((l) => l.msg)).toContain("max tasks claimed; finishing them, then stopping");
  });

  it("retries a failed claim with backoff, then claims once the database answers", async () => {
    // Its own pool, so that the outage refuses only the loop's connections.
    const pool = new pg.Pool({ connectionString: tdb.url, application_name: "loop-outage", max: 1 });
    pool.on("error", () => undefined);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    const admin = new pg.Client({ connectionString: testServerUrl() });
    admin.on("error", () => undefined);
    await admin.connect();
    try {
      await admin.query(`ALTER DATABASE "${tdb.name}" WITH ALLOW_CONNECTIONS false`);
      const { lines, running } = start({ db });
      await waitFor("a failed claim", () => lines.some((l) => l.msg === "claim failed; retrying"));
      await admin.query(`ALTER DATABASE "${tdb.name}" WITH ALLOW_CONNECTIONS true`);
      const [row] = await insertTasks(tdb.db, [{}]);
      await waitFor("claimed after the outage", () => running.has(row!.id));
      expect(lines.map((l) => l.msg)).toContain("database reachable again; claiming");
    } finally {
      await admin.query(`ALTER DATABASE "${tdb.name}" WITH ALLOW_CONNECTIONS true`);
      await admin.end();
      for (const { loop, done } of loops.splice(0)) {
        loop.stop();
        await done;
      }
      await db.destroy();
    }
  });

  it("gives back, untouched, what a claim in flight got when stop() came", async () => {
    const [row] = await insertTasks(tdb.db, [{}]);
    const blocker = new pg.Client({ connectionString: tdb.url });
    await blocker.connect();
    try {
      await blocker.query("BEGIN");
      await blocker.query("LOCK TABLE errand_tasks IN ACCESS EXCLUSIVE MODE");
      const { loop, done, running, lines } = start();
      await waitFor("the claim to wait on the lock", async () => {
        const { rows } = await sql`SELECT 1 FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%status = ''PENDING''%'`.execute(
          tdb.db,
        );
        return rows.length > 0;
      });
      loop.stop();
      await blocker.query("COMMIT");
      await done;
      expect(running.size).toBe(0);
      expect(lines.map((l) => l.msg)).toContain("released tasks claimed but not started");
    } finally {
      await blocker.end();
    }
    const final = await queries.taskGet(tdb.db, { id: row!.id });
    expect([final!.status, final!.attempts, final!.worker_ids, final!.locked_by]).toEqual(["PENDING", 0, [], null]);
  });

  describe("claiming ahead (prefetch)", () => {
    /** Finishes what runs, a round at a time, until `until()` holds. */
    /**
     * One slot, a local queue of up to 8 and a 300 ms timeout, run until tasks wait in the
     * queue: the loop, what it gave back, and the ids it holds queued (RUNNING, not started).
     */
    async function queueAhead() {
      await insertTasks(
        tdb.db,
        Array.from({ length: 200 }, () => ({})),
      );
      const released: string[] = [];
      const h = start({
        concurrency: 1,
        prefetch: 8,
        prefetchTimeoutMs: 300,
        onReleased: (ids) => released.push(...ids),
      });
      await finishUntil(h, () => h.loop.queued > 0);
      const queuedIds = (await tdb.db.selectFrom("errand_tasks").select("id").where("status", "=", "RUNNING").execute())
        .map((r) => r.id)
        .filter((id) => !h.running.has(id));
      expect(queuedIds.length).toBe(h.loop.queued);
      return { h, released, queuedIds };
    }

    async function finishUntil(h: ReturnType<typeof start>, until: () => boolean) {
      while (!until()) {
        await waitFor("a task running", () => h.running.size > 0 || until());
        if (until()) return;
        await h.finish([...h.running.values()]);
      }
    }

    it("feeds free slots from the queue, never more than its slots at once, and runs every task once", async () => {
      await insertTasks(
        tdb.db,
        Array.from({ length: 60 }, () => ({})),
      );
      const h = start({ concurrency: 2, prefetch: 16 });
      let most = 0;
      await finishUntil(h, () => {
        most = Math.max(most, h.running.size);
        return h.loop.claimed === 60 && h.running.size === 0 && h.loop.queued === 0;
      });
      expect(most).toBe(2);
      // Some claims asked beyond the free slots and found the queue still holding tasks.
      expect(h.claims().some((c) => Number(c.asked) > 2)).toBe(true);
      expect(h.claims().some((c) => Number(c.queued) > 0)).toBe(true);
      expect(await statusCounts(tdb)).toEqual({ SUCCESSFUL: 60 });
    });

    it("holds queued tasks RUNNING under its lease, and gives them back untouched when not started in time", async () => {
      const { h, released, queuedIds } = await queueAhead();
      // Nothing frees the one slot: the queued tasks wait past the timeout and go back.
      await waitFor("the queue given back", () => h.loop.queued === 0);
      await waitFor("the release stored", () => released.length >= queuedIds.length);
      expect(released).toEqual(expect.arrayContaining(queuedIds));
      const rows = await tdb.db
        .selectFrom("errand_tasks")
        .select(["status", "attempts", "worker_ids", "locked_by", "started_at"])
        .where("id", "in", queuedIds)
        .execute();
      expect(rows.every((r) => r.status === "PENDING" && r.attempts === 0 && r.worker_ids.length === 0)).toBe(true);
      expect(rows.every((r) => r.locked_by === null && r.started_at === null)).toBe(true);
    });

    it("after a blocked event loop, starts none of the queued tasks that waited past the timeout", async () => {
      const { h, released, queuedIds } = await queueAhead();
      const [first] = [...h.running.values()];
      // A synchronous task blocks the event loop past the timeout, so the expiry timer cannot
      // run; its slot is freed in the same turn it ends.
      blockEventLoop(500);
      h.running.delete(first!.id);
      h.loop.slotFreed();
      expect([...h.running.keys()].filter((id) => queuedIds.includes(id))).toEqual([]);
      await waitFor("the release stored", () => released.length >= queuedIds.length);
      expect(released).toEqual(expect.arrayContaining(queuedIds));
    });

    it("a claim whose answer is read after the event loop was blocked past the timeout starts none of its tasks", async () => {
      await insertTasks(
        tdb.db,
        Array.from({ length: 6 }, () => ({})),
      );
      const pgStore = new PostgresTaskStore(tdb.db);
      let lateIds: string[] | null = null;
      // The first claim's answer arrives while the event loop is blocked (a synchronous task
      // elsewhere in the worker): by the time it is read, the leases it took may have lapsed.
      const taskClaimBatch = async (...args: Parameters<PostgresTaskStore["taskClaimBatch"]>) => {
        const tasks = await pgStore.taskClaimBatch(...args);
        if (lateIds === null && tasks.length > 0) {
          lateIds = tasks.map((t) => t.id);
          blockEventLoop(500);
        }
        return tasks;
      };
      const store = new Proxy(pgStore, {
        get: (target, key) => {
          if (key === "taskClaimBatch") return taskClaimBatch;
          const value: unknown = Reflect.get(target, key);
          return typeof value === "function" ? (value.bind(target) as unknown) : value;
        },
      });
      const released: string[] = [];
      /** Each start, and whether that task had been given back before it. */
      const starts: { id: string; afterRelease: boolean }[] = [];
      const running = new Set<string>();
      start({
        store,
        concurrency: 4,
        prefetch: 8,
        prefetchTimeoutMs: 300,
        running: () => running.size,
        onClaimed: (task) => {
          running.add(task.id);
          starts.push({ id: task.id, afterRelease: released.includes(task.id) });
        },
        onReleased: (ids) => released.push(...ids),
      });
      await waitFor("the late claim given back", () => lateIds !== null && released.length >= lateIds.length);
      expect(released).toEqual(expect.arrayContaining(lateIds!));
      // None of the late claim's tasks started under it; they may start again only once given
      // back and claimed anew (the other tasks fill the slots meanwhile).
      await waitFor("every slot filled", () => running.size === 4);
      expect(starts.filter((s) => lateIds!.includes(s.id) && !s.afterRelease)).toEqual([]);
    });

    it("starts nothing queued after stop(), and giveBack() returns the queue untouched", async () => {
      await insertTasks(
        tdb.db,
        Array.from({ length: 200 }, () => ({})),
      );
      const h = start({ concurrency: 1, prefetch: 8 });
      await finishUntil(h, () => h.loop.queued > 0);
      const queued = h.loop.queued;
      h.loop.stop();
      await h.done;
      await h.finish([...h.running.values()]);
      expect(h.running.size).toBe(0);
      await h.loop.giveBack();
      expect(h.loop.queued).toBe(0);
      const counts = await statusCounts(tdb);
      expect(counts.RUNNING ?? 0).toBe(0);
      expect(counts.PENDING).toBeGreaterThanOrEqual(queued);
      const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM errand_tasks
        WHERE status = 'PENDING' AND (attempts <> 0 OR locked_by IS NOT NULL)`.execute(tdb.db);
      expect(rows[0]!.n).toBe(0);
    });

    it("forget(): a queued task whose lease was lost never starts", async () => {
      await insertTasks(
        tdb.db,
        Array.from({ length: 200 }, () => ({})),
      );
      const started: string[] = [];
      const h = start({ concurrency: 1, prefetch: 8 });
      await finishUntil(h, () => h.loop.queued > 1);
      const lost = (await tdb.db.selectFrom("errand_tasks").select("id").where("status", "=", "RUNNING").execute())
        .map((r) => r.id)
        .find((id) => !h.running.has(id))!;
      h.loop.forget(lost);
      const before = h.loop.queued;
      await finishUntil(h, () => {
        for (const id of h.running.keys()) if (!started.includes(id)) started.push(id);
        return h.loop.claimed === 200 && h.loop.queued === 0 && h.running.size === 0;
      });
      expect(before).toBeGreaterThan(0);
      expect(started).not.toContain(lost);
    });
  });

  it("runs on any task store: the same claims against a MemoryTaskStore, no database", async () => {
    const { store, tasks } = await memoryStore([{ queueName: "a" }, { queueName: "b" }, {}, {}, { priority: 5 }]);
    const { loop, done, running, finish } = start({ store, concurrency: 2, excludeQueues: ["b"] });
    await waitFor("two claimed", () => running.size === 2);
    // Highest priority first, then enqueue order.
    expect([...running.keys()]).toEqual([tasks[4]!.id, tasks[0]!.id]);
    await finish([...running.values()]);
    await waitFor("the slots refilled", () => loop.claimed === 4 && running.size === 2);
    loop.stop();
    await done;
    const byId = new Map(store.records().map((r) => [r.id, r.status]));
    expect(tasks.map((t) => byId.get(t.id))).toEqual(["SUCCESSFUL", "PENDING", "RUNNING", "RUNNING", "SUCCESSFUL"]);
  });
});
