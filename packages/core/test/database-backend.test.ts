import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Kysely, PostgresDialect, type CompiledQuery } from "kysely";
import pg from "pg";
import { CANCEL_CHANNEL, ENQUEUE_CHANNEL } from "@errand/db";
import { closeBackends, configure, getBackend, task, type DatabaseBackendLike } from "@errand/core";
import { createTestDatabase, type TestDatabase } from "@errand/core/testing";

let tdb: TestDatabase;
const statements: CompiledQuery[] = [];
let logged: Kysely<unknown>;

beforeAll(async () => {
  tdb = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: tdb.url, max: 2 });
  pool.on("error", () => undefined);
  logged = new Kysely({
    dialect: new PostgresDialect({ pool }),
    log: (event) => {
      if (event.level === "query") statements.push(event.query);
    },
  });
  configure({
    backends: {
      default: { backend: "database", url: tdb.url },
      mine: { backend: "database", db: logged, migrate: false },
      strict: { backend: "database", url: tdb.url, queues: ["default", "email"] },
      wide: { backend: "database", url: tdb.url, poolSize: 50 },
    },
  });
});
afterAll(async () => {
  await closeBackends();
  await logged?.destroy();
  await tdb?.drop();
});

const ping = task({ name: "db.ping", queueName: "email" }, async (n: number) => n);

describe("database backend", () => {
  it("stores enqueueMany in one statement and enqueue in one", async () => {
    statements.length = 0;
    const results = await ping.using({ backend: "mine" }).enqueueMany(Array.from({ length: 500 }, (_, i) => [i]));
    expect(results).toHaveLength(500);
    expect(statements).toHaveLength(1);
    expect(statements[0]!.sql).toMatch(/insert into "?errand_tasks"?/i);
    statements.length = 0;
    await ping.using({ backend: "mine" }).enqueue(1);
    expect(statements).toHaveLength(1);
  });

  it("wakes a listener on insert with the queue name, once per statement", async () => {
    const listener = new pg.Client({ connectionString: tdb.url });
    await listener.connect();
    const payloads: string[] = [];
    listener.on("notification", (n) => payloads.push(n.payload ?? ""));
    await listener.query(`LISTEN ${ENQUEUE_CHANNEL}`);
    try {
      await ping.enqueueMany([[1], [2], [3]]);
      await ping.using({ queueName: "bulk" }).enqueue(4);
      const deadline = Date.now() + 5000;
      while (payloads.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(payloads).toEqual(["email", "bulk"]);
    } finally {
      await listener.end();
    }
  });

  it("refuses a queue outside the backend's list before writing", async () => {
    expect(() => ping.using({ backend: "strict", queueName: "bulk" })).toThrow(/not one of backend "strict"'s queues/);
    // A task defined with a queue the backend does not list fails at enqueue, storing nothing.
    const stray = task({ name: "db.stray", queueName: "bulk", backend: "strict" }, async () => null);
    await expect(stray.enqueue()).rejects.toThrow(/not one of backend "strict"'s queues/);
    expect((await getBackend("strict").list({ taskName: "db.stray" })).items).toEqual([]);
    await expect(ping.using({ backend: "strict" }).enqueue(1)).resolves.toBeDefined();
  });

  it("keeps a refreshed result in step with another process's changes", async () => {
    const r = await ping.enqueue(9);
    const backend = getBackend() as DatabaseBackendLike;
    const other = new pg.Client({ connectionString: await backend.getConnectionString() });
    await other.connect();
    await other.query(
      `UPDATE errand_tasks SET status = 'RUNNING', attempts = 1, worker_ids = '{w}', started_at = now(), last_attempted_at = now(), locked_by = 'w', locked_until = now() + interval '1 minute', progress_done = 3, progress_total = 10 WHERE id = $1`,
      [r.id],
    );
    await other.end();
    await r.refresh();
    expect(r.status).toBe("RUNNING");
    expect(r.progress).toEqual({ done: 3, total: 10 });
    expect(r.workerIds).toEqual(["w"]);
  });

  it("stores one row for 50 concurrent enqueuers of one unique key, and answers each with it", async () => {
    const charge = ping.using({ backend: "wide", uniqueKey: "order:50" });
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => charge.enqueue(i)));
    const stored = await getBackend("wide").list({ taskName: "db.ping", limit: 500 });
    const keyed = stored.items.filter((r) => r.uniqueKey === "order:50");
    expect(keyed).toHaveLength(1);
    expect(new Set(results.map((r) => r.id))).toEqual(new Set([keyed[0]!.id]));
    expect(results.filter((r) => !r.deduplicated)).toHaveLength(1);
    expect(results.filter((r) => r.deduplicated)).toHaveLength(49);
    // enqueueMany from 10 callers at once, each batch naming the key twice among free tasks.
    const batches = await Promise.all(
      Array.from({ length: 10 }, (_, i) => ping.using({ backend: "wide" }).enqueueMany([[i], [i], [i]])),
    );
    expect(batches.flat().every((r) => !r.deduplicated)).toBe(true);
    const many = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        ping.using({ backend: "wide", uniqueKey: "order:many" }).enqueueMany([[i], [i + 100]]),
      ),
    );
    const ids = new Set(many.flat().map((r) => r.id));
    expect(ids.size).toBe(1);
    expect(many.flat().filter((r) => !r.deduplicated)).toHaveLength(1);
  });

  it("announces a cancel of a RUNNING task on errand_cancel, and refuses one of a finished task", async () => {
    const r = await ping.enqueue(7);
    const backend = getBackend() as DatabaseBackendLike;
    const listener = new pg.Client({ connectionString: await backend.getConnectionString() });
    await listener.connect();
    const payloads: string[] = [];
    listener.on("notification", (n) => payloads.push(`${n.channel}:${n.payload}`));
    await listener.query(`LISTEN ${CANCEL_CHANNEL}`);
    try {
      await listener.query(
        `UPDATE errand_tasks SET status = 'RUNNING', attempts = 1, worker_ids = '{w}', started_at = now(), last_attempted_at = now(), locked_by = 'w', locked_until = now() + interval '1 minute' WHERE id = $1`,
        [r.id],
      );
      await r.cancel();
      expect(r.status).toBe("RUNNING");
      expect(r.cancelRequestedAt).toBeInstanceOf(Date);
      const deadline = Date.now() + 5000;
      while (payloads.length < 1 && Date.now() < deadline) await new Promise((done) => setTimeout(done, 10));
      expect(payloads).toEqual([`${CANCEL_CHANNEL}:${r.id}`]);
      const finished = await ping.enqueue(8);
      await finished.cancel();
      expect(finished.status).toBe("FAILED");
      await expect(finished.cancel()).rejects.toMatchObject({ code: "INVALID_STATE" });
      await expect(finished.cancel()).rejects.toThrow(
        "it is FAILED, and only PENDING or RUNNING tasks can be cancelled",
      );
    } finally {
      await listener.end();
    }
  });

  it("reports a clear error for an unreachable server", async () => {
    configure({ backends: { default: { backend: "database", url: "postgres://postgres@127.0.0.1:1/nope" } } });
    await expect(ping.enqueue(1)).rejects.toThrow(/ECONNREFUSED|connect/);
    configure({
      backends: {
        default: { backend: "database", url: tdb.url },
        mine: { backend: "database", db: logged, migrate: false },
      },
    });
  });
});
