// Storing outcomes, without a worker: group commit, batches, the retry decision read back
// from taskFail, results the worker no longer holds, and results waiting out an outage.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import type { Database, TaskErrorRow } from "@errand/db";
import type { TaskRecord } from "@errand/core";
import { PostgresTaskStore, queries } from "@errand/core/internal";
import { insertTasks, testServerUrl, type TestDatabase } from "@errand/core/testing";
import type { LogFields, Logger } from "../src/logger";
import { ResultFlusher, type ResultFlusherOptions } from "../src/result-flusher";
import { memoryStore, setUpDatabase, tearDownDatabase, waitFor } from "./helpers";

let tdb: TestDatabase;
const WORKER = "flusher-test";

beforeAll(async () => {
  tdb = await setUpDatabase();
});

afterEach(async () => {
  await sql`DELETE FROM errand_tasks`.execute(tdb.db);
});

afterAll(async () => {
  await tearDownDatabase(tdb);
});

type Line = { level: string; msg: string } & LogFields;

function capture(): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const at =
    (level: string) =>
    (msg: string, fields: LogFields = {}) =>
      lines.push({ level, msg, ...fields });
  return { lines, logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") } };
}

/** Inserts `n` tasks and claims them as this worker. */
async function claimed(n: number, row: Parameters<typeof insertTasks>[1][number] = {}): Promise<TaskRecord[]> {
  await insertTasks(
    tdb.db,
    Array.from({ length: n }, () => row),
  );
  return new PostgresTaskStore(tdb.db).taskClaimBatch({ queues: "*", limit: n, workerId: WORKER, leaseSeconds: 30 });
}

function error(attempt: number): TaskErrorRow {
  return {
    exceptionClass: "Error",
    message: "boom",
    traceback: "Error: boom",
    attempt,
    failedAt: new Date().toISOString(),
  };
}

/** A flusher on `store` (default: the test database; `db`: Postgres through that Kysely instance). */
function flusher({ db, ...options }: Partial<ResultFlusherOptions> & { db?: Kysely<Database> } = {}) {
  const { logger, lines } = capture();
  const stored: { sent: string[]; rows: TaskRecord[] | null }[] = [];
  let flushes = 0;
  const f = new ResultFlusher({
    store: options.store ?? new PostgresTaskStore(db ?? tdb.db),
    workerId: WORKER,
    logger,
    onStored: (sent, rows) => stored.push({ sent, rows }),
    onFlushed: () => (flushes += 1),
    wantRecords: () => true,
    ...options,
  });
  return { f, lines, stored, flushes: () => flushes };
}

async function statuses(ids: string[]): Promise<string[]> {
  const rows = await tdb.db.selectFrom("errand_tasks").select(["id", "status"]).where("id", "in", ids).execute();
  const byId = new Map(rows.map((r) => [r.id, r.status]));
  return ids.map((id) => byId.get(id)!);
}

describe("ResultFlusher", () => {
  it("stores everything that finished in the same turn with one statement of each kind", async () => {
    const rows = await claimed(6);
    const { f, stored, flushes } = flusher();
    for (const row of rows.slice(0, 4)) f.complete({ id: row.id, returnValue: `"${row.id}"` });
    for (const row of rows.slice(4)) f.fail({ id: row.id, error: error(1), retryDelay: null });
    expect(f.settled).toBe(false);
    await waitFor("stored", () => f.settled);
    expect(flushes()).toBe(1);
    expect(f.epoch).toBe(1);
    expect(await statuses(rows.map((r) => r.id))).toEqual([...Array<string>(4).fill("SUCCESSFUL"), "FAILED", "FAILED"]);
    // One callback per statement, with what was sent and the rows as stored.
    expect(stored.map((s) => s.rows!.map((r) => r.status))).toEqual([
      Array(4).fill("SUCCESSFUL"),
      ["FAILED", "FAILED"],
    ]);
    expect(stored.flatMap((s) => s.sent).sort()).toEqual(rows.map((r) => r.id).sort());
    const done = await queries.taskGet(tdb.db, { id: rows[0]!.id });
    expect(done!.return_value).toBe(rows[0]!.id);
  });

  it("splits a backlog into statements of at most maxBatch results", async () => {
    const rows = await claimed(7);
    const { f, stored } = flusher({ maxBatch: 3 });
    for (const row of rows) f.complete({ id: row.id, returnValue: "null" });
    await f.flushAll({ giveUpAfterMs: 10_000 });
    expect(stored.map((s) => s.sent.length)).toEqual([3, 3, 1]);
    expect(f.epoch).toBe(3);
    expect(new Set(await statuses(rows.map((r) => r.id)))).toEqual(new Set(["SUCCESSFUL"]));
  });

  it("without wantRecords, fetches no records but still tells which results took", async () => {
    const rows = await claimed(3);
    const { f, stored, lines } = flusher({ wantRecords: () => false });
    await sql`UPDATE errand_tasks SET locked_by = 'someone-else' WHERE id = ${rows[2]!.id}`.execute(tdb.db);
    f.complete({ id: rows[0]!.id, returnValue: "1" });
    f.fail({ id: rows[1]!.id, error: error(1), retryDelay: 5 });
    f.complete({ id: rows[2]!.id, returnValue: "3" });
    await f.flushAll({ giveUpAfterMs: 10_000 });
    expect(stored.map((s) => s.rows)).toEqual([null, null]);
    expect(stored.flatMap((s) => s.sent).sort()).toEqual(rows.map((r) => r.id).sort());
    // The retry decision is read back from the brief answer too.
    expect(lines.find((l) => l.msg === "task failed")).toMatchObject({ status: "PENDING", retryInSeconds: 5 });
    expect(lines.find((l) => l.msg.startsWith("results not stored"))).toMatchObject({ ids: [rows[2]!.id] });
    expect(await statuses(rows.map((r) => r.id))).toEqual(["SUCCESSFUL", "PENDING", "RUNNING"]);
  });

  it("stores when the function really started as the attempt's start, and the task's on a first attempt", async () => {
    const rows = await claimed(2);
    const { f } = flusher();
    const startedAt = new Date(Date.now() + 1234);
    f.complete({ id: rows[0]!.id, returnValue: "1", startedAt });
    f.fail({ id: rows[1]!.id, error: error(1), retryDelay: null, startedAt });
    await f.flushAll({ giveUpAfterMs: 10_000 });
    for (const row of rows) {
      const stored = await queries.taskGet(tdb.db, { id: row.id });
      expect(stored!.started_at).toEqual(startedAt);
      expect(stored!.last_attempted_at).toEqual(startedAt);
    }
  });

  it("logs each failure with the status taskFail stored: the retry decision is read back, not made again", async () => {
    const [retried] = await claimed(1, { max_attempts: 2 });
    const [spent] = await claimed(1, { max_attempts: 1 });
    const [refused] = await claimed(1, { max_attempts: 5 });
    const { f, lines } = flusher();
    const log = { taskName: "test.noop", attempt: 1, durationMs: 1.5 };
    f.fail({ id: retried!.id, error: error(1), retryDelay: 60, log });
    f.fail({ id: spent!.id, error: error(1), retryDelay: 60, log });
    f.fail({ id: refused!.id, error: error(1), retryDelay: null, log });
    await f.flushAll({ giveUpAfterMs: 10_000 });
    const failed = lines.filter((l) => l.msg === "task failed");
    expect(failed).toEqual([
      {
        level: "warn",
        msg: "task failed",
        taskId: retried!.id,
        ...log,
        status: "PENDING",
        error: "Error: boom",
        retryInSeconds: 60,
      },
      {
        level: "warn",
        msg: "task failed",
        taskId: spent!.id,
        ...log,
        status: "FAILED",
        error: "Error: boom",
        retryInSeconds: undefined,
      },
      {
        level: "warn",
        msg: "task failed",
        taskId: refused!.id,
        ...log,
        status: "FAILED",
        error: "Error: boom",
        retryInSeconds: undefined,
      },
    ]);
    expect(await statuses([retried!.id, spent!.id, refused!.id])).toEqual(["PENDING", "FAILED", "FAILED"]);
  });

  it("drops results of tasks this worker no longer holds, and says so", async () => {
    const [mine] = await claimed(1);
    const [theirs] = await insertTasks(tdb.db, [{}]);
    await queries.taskClaimBatch(tdb.db, { queues: "*", limit: 1, workerId: "someone-else", leaseSeconds: 30 });
    const { f, lines, stored } = flusher();
    f.complete({ id: mine!.id, returnValue: "1" });
    f.complete({ id: theirs!.id, returnValue: "2" });
    await f.flushAll({ giveUpAfterMs: 10_000 });
    expect(stored).toEqual([{ sent: [mine!.id, theirs!.id], rows: [expect.objectContaining({ id: mine!.id })] }]);
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: expect.stringMatching(/^results not stored/) as string, ids: [theirs!.id] }),
    );
    expect(await statuses([mine!.id, theirs!.id])).toEqual(["SUCCESSFUL", "RUNNING"]);
  });

  it("keeps results in memory while the database refuses connections, then stores them", async () => {
    const rows = await claimed(3);
    const ids = rows.map((r) => r.id);
    // Its own pool, so the outage cuts only the flusher's connections.
    const pool = new pg.Pool({ connectionString: tdb.url, application_name: "flusher-outage", max: 2 });
    pool.on("error", () => undefined);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    const admin = new pg.Client({ connectionString: testServerUrl() });
    admin.on("error", () => undefined);
    await admin.connect();
    const { f, lines } = flusher({ db });
    try {
      await sql`SELECT 1`.execute(db);
      await admin.query(`ALTER DATABASE "${tdb.name}" WITH ALLOW_CONNECTIONS false`);
      await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'flusher-outage'",
        [tdb.name],
      );
      for (const id of ids) f.complete({ id, returnValue: "null" });
      await waitFor("a failed flush", () => lines.some((l) => l.msg === "storing results failed; retrying"));
      expect(f.settled).toBe(false);
      // Exiting now would lose nothing in the database: the tasks stay RUNNING for a rescue.
      await f.flushAll({ giveUpAfterMs: 0 });
      expect(lines).toContainEqual(
        expect.objectContaining({ level: "error", msg: expect.stringMatching(/^could not store results/) as string }),
      );
      expect(f.settled).toBe(false);
    } finally {
      await admin.query(`ALTER DATABASE "${tdb.name}" WITH ALLOW_CONNECTIONS true`);
      await admin.end();
    }
    try {
      await f.flushAll({ giveUpAfterMs: 20_000 });
      expect(f.settled).toBe(true);
      expect(await statuses(ids)).toEqual(["SUCCESSFUL", "SUCCESSFUL", "SUCCESSFUL"]);
    } finally {
      await db.destroy();
    }
  });

  it("stores on any task store: the same batches and retry decisions against a MemoryTaskStore", async () => {
    const { store, tasks } = await memoryStore([{}, {}, { maxAttempts: 2 }, { maxAttempts: 1 }]);
    await store.taskClaimBatch({ queues: "*", limit: 4, workerId: WORKER, leaseSeconds: 30 });
    const { f, stored, lines } = flusher({ store });
    const [a, b, retried, spent] = tasks.map((t) => t.id);
    f.complete({ id: a!, returnValue: '"a"' });
    f.complete({ id: b!, returnValue: '"b"' });
    f.fail({ id: retried!, error: error(1), retryDelay: 60 });
    f.fail({ id: spent!, error: error(1), retryDelay: 60 });
    await f.flushAll({ giveUpAfterMs: 10_000 });
    expect(f.epoch).toBe(1);
    expect(stored.map((s) => s.rows!.map((r) => [r.id, r.status]))).toEqual([
      [
        [a, "SUCCESSFUL"],
        [b, "SUCCESSFUL"],
      ],
      [
        [retried, "PENDING"],
        [spent, "FAILED"],
      ],
    ]);
    expect(lines.filter((l) => l.msg === "task failed").map((l) => [l.status, l.retryInSeconds])).toEqual([
      ["PENDING", 60],
      ["FAILED", undefined],
    ]);
    expect((await store.taskGet({ id: a! }))!.returnValue).toBe("a");
  });
});
