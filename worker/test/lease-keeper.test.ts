// Leases, without a worker: renewal of held tasks, lost leases, and the rescue of tasks
// whose worker stopped renewing.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import type { Database, TaskRow } from "@errand/db";
import { PostgresTaskStore, queries } from "@errand/core/internal";
import { insertTasks, type TestDatabase } from "@errand/core/testing";
import { LeaseKeeper, type LeaseKeeperOptions } from "../src/lease-keeper";
import type { LogFields, Logger } from "../src/logger";
import { memoryStore, setUpDatabase, tearDownDatabase, waitFor } from "./helpers";

let tdb: TestDatabase;
const WORKER = "lease-test";
const keepers: LeaseKeeper[] = [];

beforeAll(async () => {
  tdb = await setUpDatabase();
});

afterEach(async () => {
  for (const keeper of keepers.splice(0)) keeper.stop();
  await sql`DELETE FROM errand_tasks`.execute(tdb.db);
});

afterAll(async () => {
  await tearDownDatabase(tdb);
});

/** A keeper on `store` (default: the test database; `db`: Postgres through that Kysely instance). */
function keeper({ db, ...options }: Partial<LeaseKeeperOptions> & { db?: Kysely<Database> } = {}) {
  const lines: ({ msg: string } & LogFields)[] = [];
  const at = (msg: string, fields: LogFields = {}) => lines.push({ msg, ...fields });
  const logger: Logger = { debug: at, info: at, warn: at, error: at };
  const lost: string[] = [];
  let rescued = 0;
  const k = new LeaseKeeper({
    store: options.store ?? new PostgresTaskStore(db ?? tdb.db),
    workerId: WORKER,
    leaseSeconds: 30,
    rescueIntervalSeconds: 60,
    logger,
    onLost: (id) => lost.push(id),
    onRescued: () => (rescued += 1),
    ...options,
  });
  keepers.push(k);
  return { k, lines, lost, rescued: () => rescued };
}

/** Claims as a worker would, as rows: the tests read the lease columns the record leaves out. */
async function claim(n: number, workerId = WORKER, leaseSeconds = 30): Promise<TaskRow[]> {
  return queries.taskClaimBatch(tdb.db, { queues: "*", limit: n, workerId, leaseSeconds });
}

async function lockedUntil(id: string): Promise<Date> {
  return (await queries.taskGet(tdb.db, { id }))!.locked_until!;
}

describe("LeaseKeeper.renew", () => {
  it("extends the lease of every held task in one statement", async () => {
    await insertTasks(tdb.db, [{}, {}, {}]);
    const rows = await claim(3, WORKER, 1);
    const { k, lost } = keeper();
    k.hold(rows[0]!.id);
    k.hold(rows[1]!.id);
    expect(await k.renew()).toEqual([]);
    const soon = Date.now() + 20_000;
    expect((await lockedUntil(rows[0]!.id)).getTime()).toBeGreaterThan(soon);
    expect((await lockedUntil(rows[1]!.id)).getTime()).toBeGreaterThan(soon);
    // Not held: left alone.
    expect((await lockedUntil(rows[2]!.id)).getTime()).toBeLessThan(soon);
    expect(lost).toEqual([]);
  });

  it("stops renewing a released task", async () => {
    await insertTasks(tdb.db, [{}]);
    const [row] = await claim(1, WORKER, 1);
    const { k } = keeper();
    k.hold(row!.id);
    k.release(row!.id);
    expect(k.held.size).toBe(0);
    await k.renew();
    expect((await lockedUntil(row!.id)).getTime()).toBe(row!.locked_until!.getTime());
  });

  it("reports a held task whose lease was taken over as lost", async () => {
    await insertTasks(tdb.db, [{}, {}]);
    const [mine, taken] = await claim(2, WORKER, 0.01);
    await waitFor("the leases to lapse", async () => (await lockedUntil(taken!.id)).getTime() < Date.now());
    // Another worker rescues and re-claims one of them.
    await sql`UPDATE errand_tasks SET locked_by = 'someone-else', locked_until = now() + interval '1 minute'
      WHERE id = ${taken!.id}::uuid`.execute(tdb.db);
    const { k, lost } = keeper();
    k.hold(mine!.id);
    k.hold(taken!.id);
    expect(await k.renew()).toEqual([taken!.id]);
    expect(lost).toEqual([taken!.id]);
  });

  it("logs a failed renewal and tries again later instead of throwing", async () => {
    const url = new URL(tdb.url);
    url.pathname = "/errand_no_such_database";
    const pool = new pg.Pool({ connectionString: url.toString(), max: 1 });
    pool.on("error", () => undefined);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    try {
      const { k, lines, lost } = keeper({ db });
      k.hold("00000000-0000-4000-8000-000000000000");
      expect(await k.renew()).toEqual([]);
      expect(lines).toContainEqual(expect.objectContaining({ msg: "lease renewal failed; will retry", tasks: 1 }));
      expect(lost).toEqual([]);
    } finally {
      await db.destroy();
    }
  });

  it("start() renews on a timer, every third of the lease", async () => {
    await insertTasks(tdb.db, [{}]);
    const [row] = await claim(1, WORKER, 1);
    const store = new PostgresTaskStore(tdb.db);
    const renewals = vi.spyOn(store, "taskRenewLease");
    // The keeper's interval timers run on a clock the test moves; its renewals go to Postgres.
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    try {
      const { k } = keeper({ store, leaseSeconds: 30, rescueIntervalSeconds: 3600 });
      k.hold(row!.id);
      k.start();
      // A third of 30 s: nothing at 9.999 s, the first renewal at 10 s.
      vi.advanceTimersByTime(9_999);
      expect(renewals).not.toHaveBeenCalled();
      vi.advanceTimersByTime(1);
      expect(renewals).toHaveBeenCalledTimes(1);
      expect(await renewals.mock.results[0]!.value).toEqual([row!.id]);
      // Renewed for the keeper's 30 s, from the claim's 1 s.
      expect((await lockedUntil(row!.id)).getTime()).toBeGreaterThan(row!.locked_until!.getTime() + 20_000);
      // The next one 10 s after that, and none once stopped.
      vi.advanceTimersByTime(9_999);
      expect(renewals).toHaveBeenCalledTimes(1);
      vi.advanceTimersByTime(1);
      expect(renewals).toHaveBeenCalledTimes(2);
      await renewals.mock.results[1]!.value;
      k.stop();
      vi.advanceTimersByTime(60_000);
      expect(renewals).toHaveBeenCalledTimes(2);
    } finally {
      vi.useRealTimers();
    }
    expect((await queries.taskGet(tdb.db, { id: row!.id }))!.status).toBe("RUNNING");
  });
});

describe("LeaseKeeper.rescue", () => {
  it("re-queues lapsed tasks of any worker, counting the attempt; FAILED when none is left", async () => {
    const [again, spent] = await insertTasks(tdb.db, [{ max_attempts: 3 }, { max_attempts: 1 }]);
    await insertTasks(tdb.db, [{}]);
    await claim(2, "dead-worker", 0.01);
    const [alive] = await claim(1, "live-worker", 30);
    await waitFor("the leases to lapse", async () => (await lockedUntil(spent!.id)).getTime() < Date.now());
    const { k, rescued, lines } = keeper();
    const rows = await k.rescue();
    expect(Object.fromEntries(rows.map((r) => [r.id, r.status]))).toEqual({
      [again!.id]: "PENDING",
      [spent!.id]: "FAILED",
    });
    for (const r of rows) expect(r.errors.map((e) => e.exceptionClass)).toEqual(["LeaseExpired"]);
    expect(rescued()).toBe(1);
    expect(lines).toContainEqual(expect.objectContaining({ msg: "re-queued tasks whose lease lapsed", count: 2 }));
    expect((await queries.taskGet(tdb.db, { id: alive!.id }))!.status).toBe("RUNNING");
    // Nothing left to rescue: no callback.
    expect(await k.rescue()).toEqual([]);
    expect(rescued()).toBe(1);
  });

  it("does nothing once told to stop rescuing (a stopping worker)", async () => {
    const [row] = await insertTasks(tdb.db, [{}]);
    await claim(1, "dead-worker", 0.01);
    await waitFor("the lease to lapse", async () => (await lockedUntil(row!.id)).getTime() < Date.now());
    const { k, rescued } = keeper();
    k.stopRescuing();
    expect(await k.rescue()).toEqual([]);
    expect(rescued()).toBe(0);
    expect((await queries.taskGet(tdb.db, { id: row!.id }))!.status).toBe("RUNNING");
  });

  it("start() sweeps at once", async () => {
    const [row] = await insertTasks(tdb.db, [{}]);
    await claim(1, "dead-worker", 0.01);
    await waitFor("the lease to lapse", async () => (await lockedUntil(row!.id)).getTime() < Date.now());
    const { k, rescued } = keeper({ rescueIntervalSeconds: 3600 });
    k.start();
    await waitFor("the sweep", () => rescued() === 1);
    expect((await queries.taskGet(tdb.db, { id: row!.id }))!.status).toBe("PENDING");
  });
});

describe("LeaseKeeper on a MemoryTaskStore (no database)", () => {
  it("renews held leases, reports a lost one, and rescues lapsed tasks of any worker", async () => {
    const { store, tasks } = await memoryStore([{}, {}, { maxAttempts: 1 }]);
    const [mine, taken, dead] = tasks.map((t) => t.id);
    await store.taskClaimBatch({ queues: "*", limit: 2, workerId: WORKER, leaseSeconds: 0.05 });
    await store.taskClaimBatch({ queues: "*", limit: 1, workerId: "dead-worker", leaseSeconds: 0.01 });
    const lapsed = Date.now() + 60;
    const { k, lost, rescued } = keeper({ store });
    k.hold(mine!);
    expect(await k.renew()).toEqual([]);
    // Renewed to 30 s: the sweep below passes it by; the other two lapse.
    await waitFor("the other leases to lapse", () => Date.now() > lapsed);
    k.hold(taken!);
    const rows = await k.rescue();
    expect(Object.fromEntries(rows.map((r) => [r.id, r.status]))).toEqual({ [taken!]: "PENDING", [dead!]: "FAILED" });
    expect(rescued()).toBe(1);
    expect(await k.renew()).toEqual([taken]);
    expect(lost).toEqual([taken]);
    expect((await store.taskGet({ id: mine! }))!.status).toBe("RUNNING");
  });
});
