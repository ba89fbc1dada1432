import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql, type Kysely } from "kysely";
import { TASK_CHANGES_CHANNEL, type Database } from "@errand/db";
import pg from "pg";
import { DatabaseBackend, type TaskChangeEvent } from "@errand/core";
import { PostgresTaskStore, probeThrough, TaskChangeFeed } from "@errand/core/internal";
import { createTestDatabase, enqueueRequest, type TestDatabase } from "@errand/core/testing";

// The database backend's push feed: the triggers of migration 0005 and one LISTEN connection.
let tdb: TestDatabase;
let backend: DatabaseBackend;
let store: PostgresTaskStore;
beforeAll(async () => {
  tdb = await createTestDatabase();
  backend = new DatabaseBackend("feed", { backend: "database", url: tdb.url });
  store = new PostgresTaskStore(await backend.getDb());
});
afterAll(async () => {
  await backend?.close();
  await tdb?.drop();
});

/** Subscribes, collecting every event. */
async function collect(target: { watchChanges: DatabaseBackend["watchChanges"] } = backend) {
  const events: TaskChangeEvent[] = [];
  const stop = await target.watchChanges((event) => events.push(event));
  const changes = () => events.flatMap((e) => (e.type === "changes" ? e.changes : []));
  return { events, stop, changes };
}

/** Backends of the feed open on this test's database. */
async function feedConnections(): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM pg_stat_activity
    WHERE application_name = 'errand-feed' AND datname = current_database()`.execute(await backend.getDb());
  return rows[0]!.n;
}

/** A feed's target: the test database, probed through `db`'s pool. */
const onTestDatabase = (db: Kysely<Database>) => () => Promise.resolve({ listenUrl: tdb.url, probe: probeThrough(db) });

const insert = (n: number, taskName = "feed.t") =>
  store.taskInsert({ backend: "feed", tasks: Array.from({ length: n }, () => enqueueRequest({ taskName })) });

describe("the push feed of the database backend", () => {
  it("lists small statements' changes, sends progress, and stays silent on lease renewals", async () => {
    const { events, stop, changes } = await collect();
    try {
      const [task] = await insert(1);
      await expect.poll(() => changes().map((c) => c.id)).toEqual([task!.id]);
      const [claimed] = await store.taskClaimBatch({
        queues: "*",
        ids: [task!.id],
        limit: 1,
        workerId: "w1",
        leaseSeconds: 60,
      });
      await expect
        .poll(() => changes().map((c) => `${c.previousStatus}>${c.status}`))
        .toEqual(["null>PENDING", "PENDING>RUNNING"]);
      await store.taskRenewLease({ workerId: "w1", ids: [claimed!.id], leaseSeconds: 60 });
      await store.taskSetProgress({ id: claimed!.id, workerId: "w1", done: 1, total: 2 });
      await expect.poll(() => changes().length).toBe(3);
      expect(changes()[2]).toMatchObject({ status: "RUNNING", previousStatus: "RUNNING" });
      // 15 rows in one statement: listed in one message; 45: a resync, from the sequence.
      const before = events.length;
      await insert(15);
      await expect.poll(() => changes().length).toBe(18);
      expect(events.slice(before).map((e) => (e.type === "changes" ? e.changes.length : e.type))).toEqual([15]);
      await insert(45);
      await expect.poll(() => events.at(-1)).toEqual({ type: "resync", reason: "overflow" });
      expect(changes()).toHaveLength(18);
    } finally {
      stop();
    }
  });

  it("tells of a statement of more than 20 tasks with a resync (twice: it may precede the commit), and of deletes", async () => {
    const { events, stop } = await collect();
    try {
      await insert(150);
      await expect
        .poll(() => events)
        .toEqual([
          { type: "resync", reason: "overflow" },
          { type: "resync", reason: "overflow" },
        ]);
      await sql`SELECT pg_sleep(0.6)`.execute(await backend.getDb());
      expect(events).toHaveLength(2);
      await sql`DELETE FROM errand_tasks WHERE task_name = 'feed.t' AND status = 'PENDING'`.execute(
        await backend.getDb(),
      );
      await expect.poll(() => events.at(-1)).toEqual({ type: "resync", reason: "deleted" });
    } finally {
      stop();
    }
  });

  it("serves every subscriber from one connection, and tells them when it drops and comes back", async () => {
    const subscribers = await Promise.all([collect(), collect(), collect()]);
    try {
      expect(await feedConnections()).toBe(1);
      await sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE application_name = 'errand-feed' AND datname = current_database()`.execute(await backend.getDb());
      for (const { events } of subscribers) {
        await expect.poll(() => events.map((e) => e.type), { timeout: 5000 }).toEqual(["interrupted", "resync"]);
        expect(events[1]).toEqual({ type: "resync", reason: "reconnected" });
      }
      const [task] = await insert(1);
      for (const { changes } of subscribers) await expect.poll(() => changes().map((c) => c.id)).toEqual([task!.id]);
      expect(await feedConnections()).toBe(1);
    } finally {
      for (const { stop } of subscribers) stop();
    }
  });

  it("closes its connection after the last subscriber leaves, and opens one for the next", async () => {
    const db = await backend.getDb();
    const feed = new TaskChangeFeed({
      lingerMs: 50,
      target: onTestDatabase(db),
    });
    const baseline = await feedConnections();
    const stop = await feed.subscribe(() => undefined);
    expect(await feedConnections()).toBe(baseline + 1);
    stop();
    await expect.poll(feedConnections).toBe(baseline);
    const events: TaskChangeEvent[] = [];
    const again = await feed.subscribe((event) => events.push(event));
    await insert(1, "feed.linger");
    await expect.poll(() => events.length).toBe(1);
    again();
    await feed.close();
  });

  it("sends nothing while no feed listens, and clears the mark of a feed whose session is gone", async () => {
    await backend.close(); // its feed leaves: no listener is marked any more
    const marks = async () =>
      (await sql<{ pid: number }>`SELECT pid FROM errand_feed_listeners`.execute(await backend.getDb())).rows;
    expect(await marks()).toEqual([]);
    // A plain LISTEN on the channel, unmarked, hears nothing: the triggers do not send.
    const listener = new pg.Client({ connectionString: tdb.url });
    await listener.connect();
    const heard: string[] = [];
    listener.on("notification", (msg) => heard.push(msg.payload ?? ""));
    await listener.query(`LISTEN ${TASK_CHANGES_CHANNEL}`);
    try {
      store = new PostgresTaskStore(await backend.getDb());
      await insert(3, "feed.unheard");
      await sql`SELECT pg_sleep(0.2)`.execute(await backend.getDb());
      expect(heard).toEqual([]);
      // A mark not refreshed for over 30 s (a stalled or dead server) is ignored too.
      await listener.query(
        `INSERT INTO errand_feed_listeners (pid, seen_at) VALUES (pg_backend_pid(), now() - interval '1 minute')`,
      );
      await insert(1, "feed.unheard");
      await sql`SELECT pg_sleep(0.2)`.execute(await backend.getDb());
      expect(heard).toEqual([]);
      await listener.query(`DELETE FROM errand_feed_listeners`);
      // A mark left by a server that died (no such session) goes when the next feed connects.
      await sql`INSERT INTO errand_feed_listeners (pid) VALUES (2147483000)`.execute(await backend.getDb());
      const { stop, changes } = await collect();
      try {
        const ours = await marks();
        expect(ours).toHaveLength(1);
        expect(ours[0]!.pid).not.toBe(2147483000);
        const [task] = await insert(1, "feed.heard");
        await expect.poll(() => changes().map((c) => c.id)).toEqual([task!.id]);
        await expect.poll(() => heard.length).toBe(1);
      } finally {
        stop();
      }
    } finally {
      await listener.end();
    }
  });

  it("keeps its mark fresh, so the triggers go on trusting it", async () => {
    await backend.close(); // its own feed, refreshing its mark, would count too
    const db = await backend.getDb();
    store = new PostgresTaskStore(db);
    const feed = new TaskChangeFeed({
      markRefreshMs: 100,
      target: onTestDatabase(db),
    });
    const stop = await feed.subscribe(() => undefined);
    try {
      // Only a mark refreshed after this moment counts (other feeds' marks stay as they are).
      const since = (await sql<{ t: string }>`SELECT now()::text AS t`.execute(db)).rows[0]!.t;
      const refreshed = async () =>
        (
          await sql<{
            n: number;
          }>`SELECT count(*)::int AS n FROM errand_feed_listeners WHERE seen_at > ${since}::timestamptz`.execute(db)
        ).rows[0]!.n;
      await expect.poll(refreshed).toBe(1);
    } finally {
      stop();
      await feed.close();
    }
  });

  it("refuses to subscribe when the backend may not LISTEN, saying what to do", async () => {
    const quiet = new DatabaseBackend("quiet", { backend: "database", url: tdb.url, listenUrl: false });
    try {
      const refused = quiet.watchChanges(() => undefined);
      await expect(refused).rejects.toMatchObject({ code: "NOT_SUPPORTED" });
      await expect(refused).rejects.toThrow(/listenUrl is false.*poll instead/);
    } finally {
      await quiet.close();
    }
  });

  it("reports an unreachable database as FEED_UNAVAILABLE, not as missing support", async () => {
    const feed = new TaskChangeFeed({
      logger: { info: () => undefined, warn: () => undefined },
      target: () =>
        Promise.resolve({ listenUrl: "postgres://postgres@127.0.0.1:1/nothing", probe: () => Promise.resolve() }),
    });
    await expect(feed.subscribe(() => undefined)).rejects.toMatchObject({ code: "FEED_UNAVAILABLE" });
    await feed.close();
  });
});
