// The `errand` command line, run as users run it.
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { sql } from "kysely";
import pg from "pg";
import { configure } from "@errand/core";
import { migrations } from "@errand/db";
import type { TestDatabase } from "@errand/core/testing";
import { testServerUrl } from "@errand/core/testing";
import { noop, record } from "./fixtures/tasks";
import { main } from "../src/cli/main";
import { FIXTURE_CONFIG, runCli, setUpDatabase, statusCounts, tearDownDatabase } from "./helpers";

let tdb: TestDatabase;

beforeAll(async () => {
  tdb = await setUpDatabase();
  process.env.DATABASE_URL = tdb.url;
});

afterAll(async () => {
  await tearDownDatabase(tdb);
});

const cli = (args: string[]) => runCli(args, { databaseUrl: tdb.url });

/**
 * Runs a command in this process (a spawned CLI costs 1–3 s of start-up): the fixture
 * config reads DATABASE_URL, which points at this file's database.
 */
async function inProcess(args: string[]): Promise<{ code: number; stdout: string }> {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  try {
    const code = await main([...args, "--config", FIXTURE_CONFIG]);
    return { code, stdout: chunks.join("") };
  } finally {
    spy.mockRestore();
    // The command configured Errand from the fixture; point it back at this file's database.
    configure({ backends: { default: { backend: "database", url: tdb.url, migrate: false } } });
  }
}

describe("errand migrate", () => {
  it("creates the tables in an empty database, then says it is up to date", async () => {
    const name = `errand_cli_${process.pid}_${Date.now()}`;
    const admin = new pg.Client({ connectionString: testServerUrl() });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    const url = new URL(testServerUrl());
    url.pathname = `/${name}`;
    try {
      const first = await runCli(["migrate", "--config", FIXTURE_CONFIG], { databaseUrl: url.toString() });
      expect(first.stderr).toBe("");
      expect(first.code).toBe(0);
      const names = Object.keys(migrations);
      expect(first.stdout).toContain(`Applied ${names.length} migration(s): ${names.join(", ")}`);
      process.env.DATABASE_URL = url.toString();
      const second = await inProcess(["migrate"]).finally(() => (process.env.DATABASE_URL = tdb.url));
      expect(second.stdout).toMatch(/up to date/);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    }
  });
});

describe("errand worker", () => {
  it("--batch --max-tasks runs that many, logs a start and a finish line per task, exits 0", async () => {
    await sql`DELETE FROM errand_tasks`.execute(tdb.db);
    await noop.enqueueMany([[], [], []]);
    const run = await cli(["worker", "--batch", "--max-tasks", "2", "--concurrency", "1", "--worker-id", "cli-test"]);
    expect(run.code, run.stderr).toBe(0);
    expect(await statusCounts(tdb)).toEqual({ SUCCESSFUL: 2, PENDING: 1 });
    const lines = run.stdout.split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    const starts = lines.filter((l) => l.msg === "task started");
    const finishes = lines.filter((l) => l.msg === "task finished");
    expect(starts).toHaveLength(2);
    expect(finishes).toHaveLength(2);
    expect(finishes[0]).toMatchObject({ level: "info", taskName: "test.noop", attempt: 1, status: "SUCCESSFUL" });
    expect(typeof finishes[0]!.durationMs).toBe("number");
    expect(typeof finishes[0]!.taskId).toBe("string");
    expect(lines[0]).toMatchObject({ msg: "worker started", workerId: "cli-test" });
  });

  it("loads the config and tasks of an app whose package.json is not ESM", async () => {
    await sql`DELETE FROM errand_tasks`.execute(tdb.db);
    const {
      rows: [row],
    } = await sql<{
      id: string;
    }>`INSERT INTO errand_tasks (task_name, args) VALUES ('cjs.double', '[21]') RETURNING id`.execute(tdb.db);
    const run = await runCli(
      ["worker", "--batch", "--config", path.join(path.dirname(FIXTURE_CONFIG), "cjs-app/errand.config.ts")],
      {
        databaseUrl: tdb.url,
      },
    );
    expect(run.code, run.stderr).toBe(0);
    const done = await tdb.db
      .selectFrom("errand_tasks")
      .selectAll()
      .where("id", "=", row!.id)
      .executeTakeFirstOrThrow();
    expect([done.status, done.return_value]).toEqual(["SUCCESSFUL", { doubled: 42 }]);
  });

  it("--queue-name limits it to those queues", async () => {
    await sql`DELETE FROM errand_tasks`.execute(tdb.db);
    const a = await record.using({ queueName: "a" }).enqueue("a");
    const b = await record.using({ queueName: "b" }).enqueue("b");
    const c = await record.using({ queueName: "c" }).enqueue("c");
    const run = await inProcess(["worker", "--batch", "--queue-name", "a, c", "--log-level", "warn"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("");
    for (const [r, status] of [
      [a, "SUCCESSFUL"],
      [b, "PENDING"],
      [c, "SUCCESSFUL"],
    ] as const) {
      expect((await r.refresh()).status).toBe(status);
    }
  });

  it("--backend runs only that alias's tasks, though another alias's rows share the table", async () => {
    await sql`DELETE FROM errand_tasks`.execute(tdb.db);
    const mine = await record.enqueue("default's");
    await sql`INSERT INTO errand_tasks (task_name, args, backend) VALUES ('test.record', '["reports"]', 'reports')`.execute(
      tdb.db,
    );
    const run = await inProcess(["worker", "--batch", "--backend", "reports", "--log-level", "warn"]);
    expect(run.code).toBe(0);
    const rows = await tdb.db.selectFrom("errand_tasks").select(["backend", "status"]).orderBy("seq").execute();
    expect(rows).toEqual([
      { backend: "default", status: "PENDING" },
      { backend: "reports", status: "SUCCESSFUL" },
    ]);
    expect((await mine.refresh()).status).toBe("PENDING");
  });

  it.each([
    [["worker", "--concurrency", "0"], /--concurrency must be a positive integer, got "0"/],
    [["worker", "--concurrency", "two"], /--concurrency must be a positive integer, got "two"/],
    [["worker", "--interval=-1"], /--interval must be a non-negative number of seconds, got "-1"/],
    [["worker", "--max-tasks", "1.5"], /--max-tasks must be a positive integer, got "1\.5"/],
    [["worker", "--duration", "0"], /--duration must be a positive number of seconds, got "0"/],
    [["worker", "--queue-name", "*,email"], /"\*" already means every queue/],
    [["worker", "--queue-name", ","], /--queue-name must be "\*" or a non-empty list of queue names, got ","/],
    [
      ["worker", "--log-level", "loud"],
      /--log-level must be one of "debug", "info", "warn", "error", "silent", got "loud"/,
    ],
    [
      ["worker", "--worker-id", "x".repeat(65)],
      /errand worker: --worker-id must be a string of 1 to 64 characters, got "x{65}"/,
    ],
    [["worker", "--bogus"], /Unknown option '--bogus'/],
    [["worker", "extra"], /positional/],
    [["worker", "--config", "missing.config.ts"], /missing\.config\.ts does not exist/],
    [["launch"], /Unknown command "launch"/],
    [
      ["worker", "--queue-name", "email", "--exclude-queues", "bulk"],
      /--exclude-queues only goes with --queue-name "\*"/,
    ],
    [["worker", "--exclude-queues", "*"], /would exclude every queue/],
    [["embedded"], /errand embedded needs "start"/],
    [["embedded", "restart"], /errand embedded needs "start" .* got "restart"/],
    [["prune"], /needs --age DAYS/],
    [["prune", "--age", "-"], /--age must be a non-negative number, got "-"/],
    [["prune", "--age", "1", "--status", "PENDING"], /--status must be SUCCESSFUL or FAILED/],
  ])("%j is refused with a clear message", async (args, message) => {
    // In-process: these fail while parsing, before any configuration or connection.
    await expect(main(args)).rejects.toThrow(message);
  });

  it("exits 2 with the message on stderr for a bad flag; names an unknown backend", async () => {
    const flag = await cli(["worker", "--concurrency", "0"]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/--concurrency must be a positive integer, got "0"\.\nRun "errand --help"/s);
    await expect(inProcess(["status", "--backend", "nope"])).rejects.toThrow(
      /--backend nope: No backend is configured as "nope"/,
    );
  });

  it("refuses to run without an errand.config.ts", async () => {
    const cwd = process.cwd();
    process.chdir(os.tmpdir());
    try {
      await expect(main(["worker"])).rejects.toThrow(/No errand\.config\.ts in .*--config PATH/s);
    } finally {
      process.chdir(cwd);
    }
  });
});

describe("errand status and prune", () => {
  it("status counts by queue and status, with the oldest due task", async () => {
    await sql`DELETE FROM errand_tasks`.execute(tdb.db);
    await record.enqueue("x");
    await record.using({ queueName: "email" }).enqueueMany([["y"], ["z"]]);
    await sql`UPDATE errand_tasks SET status = 'FAILED', finished_at = now() WHERE args = '["z"]'::jsonb`.execute(
      tdb.db,
    );
    const text = await inProcess(["status"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^queue\s+PENDING\s+RUNNING\s+SUCCESSFUL\s+FAILED$/m);
    expect(text.stdout).toMatch(/^default\s+1\s+0\s+0\s+0$/m);
    expect(text.stdout).toMatch(/^email\s+1\s+0\s+0\s+1$/m);
    expect(text.stdout).toMatch(/Oldest due task: due since \d{4}-/);
    const json = await inProcess(["status", "--json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ byStatus: { PENDING: 2, FAILED: 1 } });
  });

  it("prune deletes only finished tasks older than --age, honours --status, --queue-name and --dry-run", async () => {
    await sql`DELETE FROM errand_tasks`.execute(tdb.db);
    await record.enqueueMany([["old-ok"], ["old-failed"], ["new-ok"], ["pending"]]);
    await record.using({ queueName: "other" }).enqueue("old-other");
    await sql`UPDATE errand_tasks SET status = 'SUCCESSFUL', finished_at = now() - interval '10 days' WHERE args ?| array['old-ok', 'old-other']`.execute(
      tdb.db,
    );
    await sql`UPDATE errand_tasks SET status = 'FAILED', finished_at = now() - interval '10 days' WHERE args ? 'old-failed'`.execute(
      tdb.db,
    );
    await sql`UPDATE errand_tasks SET status = 'SUCCESSFUL', finished_at = now() WHERE args ? 'new-ok'`.execute(tdb.db);

    const dry = await inProcess(["prune", "--age", "7", "--dry-run"]);
    expect(dry.stdout).toMatch(/Would delete 3 SUCCESSFUL and FAILED task\(s\)/);
    expect(await statusCounts(tdb)).toEqual({ SUCCESSFUL: 3, FAILED: 1, PENDING: 1 });

    const queue = await inProcess(["prune", "--age", "7", "--queue-name", "other"]);
    expect(queue.stdout).toMatch(/Deleted 1 .* of queue "other"/);
    const failed = await inProcess(["prune", "--age", "7", "--status", "FAILED"]);
    expect(failed.stdout).toMatch(/Deleted 1 FAILED task\(s\)/);
    const rest = await inProcess(["prune", "--age", "7"]);
    expect(rest.stdout).toMatch(/Deleted 1 /);
    // The recent one and the PENDING one stay.
    expect(await statusCounts(tdb)).toEqual({ SUCCESSFUL: 1, PENDING: 1 });
    const all = await inProcess(["prune", "--age", "0"]);
    expect(all.stdout).toMatch(/Deleted 1 /);
    expect(await statusCounts(tdb)).toEqual({ PENDING: 1 });
  });

  it("prune --backend deletes only that alias's rows (two aliases may share a database)", async () => {
    await sql`DELETE FROM errand_tasks`.execute(tdb.db);
    await sql`INSERT INTO errand_tasks (task_name, backend, status, finished_at)
      VALUES ('test.record', 'default', 'SUCCESSFUL', now() - interval '9 days'),
             ('test.record', 'reports', 'SUCCESSFUL', now() - interval '9 days'),
             ('test.record', 'reports', 'FAILED', now() - interval '9 days')`.execute(tdb.db);
    const dry = await inProcess(["prune", "--age", "7", "--backend", "reports", "--dry-run"]);
    expect(dry.stdout).toMatch(/Would delete 2 SUCCESSFUL and FAILED task\(s\) of backend "reports"/);
    const reports = await inProcess(["prune", "--age", "7", "--backend", "reports"]);
    expect(reports.stdout).toMatch(/Deleted 2 .* of backend "reports"/);
    const left = await tdb.db.selectFrom("errand_tasks").select("backend").execute();
    expect(left).toEqual([{ backend: "default" }]);
    const byDefault = await inProcess(["prune", "--age", "7"]);
    expect(byDefault.stdout).toMatch(/Deleted 1 .* of backend "default"/);
  });
});

describe("errand embedded", () => {
  it("starts the project's embedded Postgres, prints its URL, and stops it", async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), "errand-cli-embedded-"));
    chmodSync(home, 0o755);
    const saved = process.env.ERRAND_HOME;
    process.env.ERRAND_HOME = home;
    const out = async (args: string[]) => {
      const chunks: string[] = [];
      const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
        chunks.push(String(chunk));
        return true;
      });
      try {
        expect(await main(args)).toBe(0);
      } finally {
        spy.mockRestore();
      }
      return chunks.join("");
    };
    try {
      const url = (await out(["embedded", "start"])).trim();
      expect(url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
      expect((await out(["embedded", "url"])).trim()).toBe(url);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      expect((await client.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
      await client.end();
      expect(await out(["embedded", "stop"])).toMatch(/Stopped the embedded Postgres/);
      expect(await out(["embedded", "stop"])).toMatch(/No embedded Postgres runs/);
    } finally {
      if (saved === undefined) delete process.env.ERRAND_HOME;
      else process.env.ERRAND_HOME = saved;
      rmSync(home, { recursive: true, force: true });
    }
  }, 60_000);
});
