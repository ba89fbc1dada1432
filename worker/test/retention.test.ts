// Retention: workers delete finished tasks past their age in batches, one at a time.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { sql } from "kysely";
import pg from "pg";
import { PostgresTaskStore } from "@errand/core/internal";
import type { TestDatabase } from "@errand/core/testing";
import { resolveRetention } from "../src/retention-pruner";
import { record } from "./fixtures/tasks";
import { FIXTURE_CONFIG, logLines, runCli, statusCounts, waitFor, workerProcessSuite } from "./helpers";

const RETENTION_CONFIG = path.join(path.dirname(FIXTURE_CONFIG), "errand.retention.config.ts");
let tdb: TestDatabase;
const suite = workerProcessSuite({ ready: (t) => (tdb = t), clear: ["errand_tasks", "errand_maintenance"] });

/** Inserts `count` finished tasks of `status` that finished `daysAgo` days ago. */
async function finished(count: number, status: "SUCCESSFUL" | "FAILED", daysAgo: number): Promise<void> {
  await sql`
    INSERT INTO errand_tasks (task_name, status, finished_at, enqueued_at, run_after, scheduled_at)
    SELECT 'test.old', ${status}, now() - make_interval(days => ${daysAgo}), now() - make_interval(days => ${daysAgo + 1}),
      now() - make_interval(days => ${daysAgo + 1}), now() - make_interval(days => ${daysAgo + 1})
    FROM generate_series(1, ${count})`.execute(tdb.db);
}

async function countOld(status: string, olderThanDays: number): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM errand_tasks
    WHERE status = ${status} AND finished_at < now() - make_interval(days => ${olderThanDays})`.execute(tdb.db);
  return rows[0]!.n;
}

describe("retention settings", () => {
  it("are checked, in days, with clear errors", () => {
    expect(resolveRetention(undefined)).toBeNull();
    expect(resolveRetention({})).toBeNull();
    expect(resolveRetention({ successfulDays: 7 })).toEqual({
      successfulSeconds: 7 * 86_400,
      failedSeconds: null,
      batchSize: 1000,
      intervalSeconds: 300,
    });
    expect(() => resolveRetention({ successfulDays: 0 })).toThrow(
      "new Worker(): retention.successfulDays must be a positive number of days, got 0.",
    );
    expect(() => resolveRetention({ failedDays: 30, batchSize: 2.5 })).toThrow(
      "new Worker(): retention.batchSize must be a positive integer, got 2.5.",
    );
    expect(() => resolveRetention({ sucessfulDays: 7 } as never)).toThrow(
      'new Worker(): unknown option "retention.sucessfulDays"; retention takes successfulDays, failedDays, batchSize, intervalSeconds.',
    );
  });
});

describe("pruning", () => {
  it("deletes one batch at a time: a batch waits for no one and skips while another worker prunes", async () => {
    await finished(30, "SUCCESSFUL", 10);
    const params = { successfulSeconds: 7 * 86_400, failedSeconds: null, limit: 20 };
    const store = new PostgresTaskStore(tdb.db);
    const holder = new pg.Client({ connectionString: tdb.url });
    await holder.connect();
    try {
      await holder.query("BEGIN");
      await holder.query("SELECT pg_advisory_xact_lock(hashtext('errand_retention'))");
      expect(await store.taskRetentionPrune(params)).toBeNull();
      await holder.query("COMMIT");
    } finally {
      await holder.end();
    }
    expect(await store.taskRetentionPrune(params)).toEqual({ successful: 20, failed: 0 });
    expect(await store.taskRetentionPrune(params)).toEqual({ successful: 10, failed: 0 });
    expect(await store.taskRetentionPrune(params)).toEqual({ successful: 0, failed: 0 });
  });

  it("runs in small batches in worker processes while they run tasks, and errand status shows the counts", async () => {
    await finished(5_000, "SUCCESSFUL", 10);
    await finished(200, "FAILED", 40);
    await finished(300, "FAILED", 10); // kept: failed tasks stay 30 days
    await finished(100, "SUCCESSFUL", 1); // kept: too recent
    const live = await record.enqueueMany(Array.from({ length: 300 }, (_, i) => [`live${i}`] as [string]));

    const workers = [0, 1].map(() =>
      suite.startWorker(["--config", RETENTION_CONFIG, "--interval", "0.2", "--concurrency", "5"]),
    );
    await waitFor(
      "old tasks pruned",
      async () => (await countOld("SUCCESSFUL", 7)) + (await countOld("FAILED", 30)) === 0,
      {
        timeoutMs: 60_000,
        everyMs: 200,
      },
    );
    await waitFor("live tasks done", async () => (await statusCounts(tdb, "test.record")).SUCCESSFUL === live.length, {
      timeoutMs: 60_000,
    });
    expect(await countOld("FAILED", 7)).toBe(300);
    expect((await statusCounts(tdb, "test.old")).SUCCESSFUL).toBe(100);

    const runs = workers.flatMap((w) => logLines(w.stdout).filter((l) => l.msg === "retention pruned"));
    const total = (key: "successful" | "failed" | "batches") => runs.reduce((n, r) => n + (r[key] as number), 0);
    expect(total("successful")).toBe(5_000);
    expect(total("failed")).toBe(200);
    // 5,200 rows in batches of at most 500: at least 11 statements, never one huge delete.
    expect(total("batches")).toBeGreaterThanOrEqual(11);

    const status = await runCli(["status", "--config", RETENTION_CONFIG], { databaseUrl: tdb.url });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(
      /Retention: SUCCESSFUL 7 d, FAILED 30 d; last run \S+ by \S+: deleted \d+ SUCCESSFUL, \d+ FAILED in \d+ batch/,
    );
  }, 120_000);
});
