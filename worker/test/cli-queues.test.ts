// `errand queues`, `errand queues pause|resume NAME`, `errand retry` and `errand cancel`.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { sql } from "kysely";
import { configure } from "@errand/core";
import type { TestDatabase } from "@errand/core/testing";
import { limitedWork, pausableWork } from "./fixtures/flow-tasks";
import { main } from "../src/cli/main";
import { FIXTURE_CONFIG, runCli, setUpDatabase, statusCounts, tearDownDatabase } from "./helpers";

const FLOW_CONFIG = path.join(path.dirname(FIXTURE_CONFIG), "errand.flow.config.ts");

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await setUpDatabase();
  process.env.DATABASE_URL = tdb.url;
});
afterAll(async () => {
  await tearDownDatabase(tdb);
});

/** Runs a command in this process with the flow fixture config; output collected. */
async function inProcess(args: string[]): Promise<{ code: number; stdout: string }> {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  try {
    const code = await main([...args, "--config", FLOW_CONFIG]);
    return { code, stdout: chunks.join("") };
  } finally {
    spy.mockRestore();
    configure({ backends: { default: { backend: "database", url: tdb.url, migrate: false } } });
  }
}

describe("errand queues", () => {
  it("lists queues with state, counts and configured limits, as a table and as JSON", async () => {
    await sql`DELETE FROM errand_tasks`.execute(tdb.db);
    await limitedWork.enqueueMany([
      ["a", 0],
      ["b", 0],
    ]);
    await pausableWork.enqueue("p", 0);
    const text = await inProcess(["queues"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^queue\s+state\s+PENDING\s+RUNNING\s+FAILED\s+limit\s+rate\s+oldest due$/m);
    expect(text.stdout).toMatch(/^limited\s+active\s+2\s+0\/2\s+0\s+2\s+-\s+\d{4}-/m);
    expect(text.stdout).toMatch(/^rated\s+active\s+0\s+0\s+0\s+-\s+10\/1s\s+-$/m);
    const json = JSON.parse((await inProcess(["queues", "--json"])).stdout) as { name: string }[];
    expect(json.find((q) => q.name === "pausable")).toMatchObject({ paused: false, pending: 1, concurrency: null });
  });

  it("pauses and resumes a queue by name, persisted", async () => {
    const paused = await inProcess(["queues", "pause", "pausable"]);
    expect(paused).toMatchObject({ code: 0 });
    expect(paused.stdout).toContain('Paused queue "pausable"');
    const { rows } = await sql<{ paused: boolean }>`SELECT paused FROM errand_queues WHERE name = 'pausable'`.execute(
      tdb.db,
    );
    expect(rows).toEqual([{ paused: true }]);
    expect((await inProcess(["queues"])).stdout).toMatch(/^pausable\s+paused\s+/m);
    expect((await inProcess(["queues", "resume", "pausable"])).stdout).toContain('Resumed queue "pausable"');
    expect((await inProcess(["queues"])).stdout).toMatch(/^pausable\s+active\s+/m);
  });

  it("exits 2 with a usage message for a bad action or a missing name", async () => {
    const bad = await runCli(["queues", "stop", "x", "--config", FLOW_CONFIG], { databaseUrl: tdb.url });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('errand queues takes "pause NAME" or "resume NAME"');
    const missing = await inProcess(["queues", "pause"]).catch((e: unknown) => e as Error);
    expect((missing as Error).message).toContain("errand queues pause takes one queue name");
  });
});

describe("errand retry and cancel", () => {
  it("cancels PENDING and retries FAILED tasks matching the filters, saying how many", async () => {
    await sql`DELETE FROM errand_tasks`.execute(tdb.db);
    await limitedWork.enqueueMany([
      ["a", 0],
      ["b", 0],
    ]);
    await pausableWork.enqueue("p", 0);
    const cancelled = await inProcess(["cancel", "--queue-name", "limited"]);
    expect(cancelled).toEqual({ code: 0, stdout: "Cancelled 2 tasks.\n" });
    expect(await statusCounts(tdb, "flow.limited")).toEqual({ FAILED: 2 });
    const retried = await inProcess(["retry", "--status", "FAILED", "--task-name", "flow.limited"]);
    expect(retried).toEqual({ code: 0, stdout: "Retried 2 tasks.\n" });
    expect(await statusCounts(tdb, "flow.limited")).toEqual({ PENDING: 2 });
    expect(await statusCounts(tdb, "flow.pausable")).toEqual({ PENDING: 1 });
  });

  it("refuses a status the action cannot take, and a bad date", async () => {
    await expect(inProcess(["retry", "--status", "PENDING"])).rejects.toThrow(
      /errand retry --status: only FAILED tasks can be retried, got "PENDING"/,
    );
    await expect(inProcess(["cancel", "--enqueued-before", "yesterday"])).rejects.toThrow(
      /--enqueued-before must be a date and time/,
    );
  });
});
