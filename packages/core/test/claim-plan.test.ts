import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import pg from "pg";
import { queries } from "@errand/core/internal";
import { createTestDatabase, insertTasks, type TestDatabase } from "@errand/core/testing";

// How Postgres runs the claim with a backlog: it walks the claim-order index for the first
// `limit` due tasks and finds each by primary key, rather than reading (and sorting) every
// row, a claim whose cost would grow with the table. Read from the statement's own scan
// counts (pg_stat_xact_user_tables): no sequential scan of the task table.
let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
  // One queue, as most tables hold: few distinct names is what misled the planner.
  for (let i = 0; i < 4; i++)
    await insertTasks(
      tdb.db,
      Array.from({ length: 2_500 }, () => ({})),
    );
  await sql`ANALYZE errand_tasks`.execute(tdb.db);
});
afterAll(() => tdb?.drop());

/** Claims `limit` in a transaction of its own; how it scanned `errand_tasks`. */
async function claimScans(limit: number) {
  return tdb.db.transaction().execute(async (trx) => {
    const scans = async () => {
      const { rows } = await sql<{ seq_scan: string; idx_scan: string }>`
        SELECT seq_scan, idx_scan FROM pg_stat_xact_user_tables WHERE relname = 'errand_tasks'`.execute(trx);
      return { seq: Number(rows[0]!.seq_scan), idx: Number(rows[0]!.idx_scan) };
    };
    // Counts the backend has not reported yet may show at the start: the claim's are the difference.
    const before = await scans();
    const claimed = await queries.taskClaimBatch(trx, {
      queues: "*",
      limit,
      workerId: "w",
      leaseSeconds: 30,
      flow: { queues: {}, freeSlots: 0 },
    });
    const after = await scans();
    return { claimed: claimed.length, seqScans: after.seq - before.seq, indexScans: after.idx - before.idx };
  });
}

describe("the claim's plan with a backlog of 10,000", () => {
  it("uses the claim-order index, with no queue paused", async () => {
    expect(await claimScans(100)).toMatchObject({ claimed: 100, seqScans: 0 });
  });

  it("uses the claim-order index while another queue is paused", async () => {
    await sql`INSERT INTO errand_queues (name, paused, paused_at) VALUES ('email', true, now())`.execute(tdb.db);
    await sql`ANALYZE errand_queues`.execute(tdb.db);
    try {
      expect(await claimScans(100)).toMatchObject({ claimed: 100, seqScans: 0 });
    } finally {
      await sql`DELETE FROM errand_queues`.execute(tdb.db);
    }
  });
});

describe("the limited claim (keyed tasks and limited queues)", () => {
  /** Claims with free slots while another session holds the limited claim's lock: settles, or "blocked". */
  async function claimWhileLocked(limit: number) {
    const holder = new pg.Client({ connectionString: tdb.url });
    await holder.connect();
    try {
      await holder.query("SELECT pg_advisory_lock(hashtext('errand_flow_claim'))");
      const claim = queries.taskClaimBatch(tdb.db, {
        queues: "*",
        limit,
        workerId: "w",
        leaseSeconds: 30,
        flow: { queues: {}, freeSlots: limit },
      });
      const blocked = new Promise<"blocked">((resolve) => setTimeout(() => resolve("blocked"), 1_000));
      const first = await Promise.race([claim, blocked]);
      await holder.query("SELECT pg_advisory_unlock(hashtext('errand_flow_claim'))");
      const claimed = await claim;
      return { blocked: first === "blocked", claimed: claimed.length };
    } finally {
      await holder.end();
    }
  }

  it("is skipped when the fast path found tasks and nothing limited is due (one statement per start)", async () => {
    await sql`DELETE FROM errand_tasks`.execute(tdb.db);
    await insertTasks(tdb.db, [{}]);
    expect(await claimWhileLocked(10)).toEqual({ blocked: false, claimed: 1 });
  });

  it("runs when a keyed task is due beside them", async () => {
    await sql`DELETE FROM errand_tasks`.execute(tdb.db);
    await insertTasks(tdb.db, [{}, { concurrency_key: "k", concurrency_limit: 1 }]);
    expect(await claimWhileLocked(10)).toEqual({ blocked: true, claimed: 2 });
  });
});
