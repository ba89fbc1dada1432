// The lease heartbeat thread on its own, against the real database: what it renews as the
// worker holds and releases tasks.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queries } from "@errand/core/internal";
import { insertTasks, type TestDatabase } from "@errand/core/testing";
import { Heartbeat } from "../src/heartbeat/heartbeat";
import { capturingLogger, setUpDatabase, tearDownDatabase } from "./helpers";

let tdb: TestDatabase;
const WORKER = "heartbeat-test";
/** Renewed every 200 ms. */
const LEASE_SECONDS = 0.6;

beforeAll(async () => {
  tdb = await setUpDatabase();
});

afterAll(async () => {
  await tearDownDatabase(tdb);
});

async function lockedUntil(id: string): Promise<Date | null> {
  return (await queries.taskGet(tdb.db, { id }))!.locked_until;
}

describe("Heartbeat", () => {
  it("keeps renewing a task held again right after its release (a retry this worker claimed back)", async () => {
    await insertTasks(tdb.db, [{}, {}]);
    const [again, released] = await queries.taskClaimBatch(tdb.db, {
      queues: "*",
      limit: 2,
      workerId: WORKER,
      leaseSeconds: LEASE_SECONDS,
    });
    const lost: string[] = [];
    const heartbeat = new Heartbeat({
      connectionString: tdb.url,
      workerId: WORKER,
      leaseSeconds: LEASE_SECONDS,
      logger: capturingLogger().logger,
      maxStallMs: null,
      onLost: (ids) => lost.push(...ids),
    });
    await heartbeat.start();
    try {
      heartbeat.hold([again!.id, released!.id]);
      // Both released (their results stored), then one claimed back by this worker at once,
      // before the releases went out.
      heartbeat.release([again!.id, released!.id]);
      heartbeat.hold([again!.id]);
      // Several leases later: the held task's lease is still renewed; the released one lapsed.
      await new Promise((r) => setTimeout(r, LEASE_SECONDS * 3_000));
      expect((await lockedUntil(again!.id))!.getTime()).toBeGreaterThan(Date.now());
      expect((await lockedUntil(released!.id))!.getTime()).toBeLessThan(Date.now());
      expect(lost).toEqual([]);
    } finally {
      await heartbeat.stop();
    }
  });
});
