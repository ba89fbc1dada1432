import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { sql } from "kysely";
import { afterAll, afterEach, beforeAll } from "vitest";
import { closeBackends, configure, type TaskRecord } from "@errand/core";
import { MemoryTaskStore, type EnqueueRequest } from "@errand/core/internal";
import { createTestDatabase, enqueueRequest, type TestDatabase } from "@errand/core/testing";
import { createLogger } from "../src/logger";

const here = path.dirname(fileURLToPath(import.meta.url));
/** The CLI's source, run as `bin/errand.js` runs the built one (the consumer tests run that). */
export const CLI = path.resolve(here, "../src/cli.ts");
/** Node flags that run the CLI from source: workspace packages through their `src/`, TypeScript through tsx. */
export const SOURCE_FLAGS = ["--conditions=@errand/source", "--import", "tsx"];
export const FIXTURE_CONFIG = path.resolve(here, "fixtures/errand.config.ts");

/** A fresh database with the `executions` side table, configured as the default backend. */
export async function setUpDatabase(): Promise<TestDatabase> {
  const tdb = await createTestDatabase();
  await sql`CREATE UNLOGGED TABLE executions (
    id bigserial PRIMARY KEY, task_id uuid NOT NULL, attempt int NOT NULL, label text, pid int NOT NULL,
    at timestamptz NOT NULL DEFAULT clock_timestamp())`.execute(tdb.db);
  configure({ backends: { default: { backend: "database", url: tdb.url, migrate: false, poolSize: 10 } } });
  return tdb;
}

export async function tearDownDatabase(tdb: TestDatabase | undefined): Promise<void> {
  await closeBackends();
  await tdb?.drop();
}

/**
 * A `MemoryTaskStore` holding one PENDING task, due now, per entry of `tasks` (fields not
 * given: `test.noop` on "default", 25 attempts, as `insertTasks`' column defaults), so the
 * worker's parts can run with no database.
 */
export async function memoryStore(
  tasks: Partial<EnqueueRequest>[],
): Promise<{ store: MemoryTaskStore; tasks: TaskRecord[] }> {
  const store = new MemoryTaskStore();
  const requests = tasks.map((overrides) => enqueueRequest(overrides));
  return { store, tasks: await store.taskInsert({ backend: "memory", tasks: requests }) };
}

/** Polls `check` until it returns a truthy value, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T> | T,
  options: { timeoutMs?: number; everyMs?: number } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what} (last: ${String(last)})`);
    await new Promise((r) => setTimeout(r, options.everyMs ?? 25));
  }
}

export interface Execution {
  task_id: string;
  attempt: number;
  label: string | null;
  pid: number;
}

export async function executions(tdb: TestDatabase): Promise<Execution[]> {
  const { rows } = await sql<Execution>`SELECT task_id, attempt, label, pid FROM executions ORDER BY id`.execute(
    tdb.db,
  );
  return rows;
}

export async function statusCounts(tdb: TestDatabase, taskName?: string): Promise<Record<string, number>> {
  let q = tdb.db
    .selectFrom("errand_tasks")
    .select(["status", sql<number>`count(*)::int`.as("n")])
    .groupBy("status");
  if (taskName) q = q.where("task_name", "=", taskName);
  const rows = await q.execute();
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

/** A spawned `errand` process with its output collected line by line. */
export interface CliProcess {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
  waitForLine(what: string, match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
}

export function spawnCli(
  args: string[],
  options: { databaseUrl: string; cwd?: string; env?: Record<string, string> },
): CliProcess {
  const child = spawn(process.execPath, [...SOURCE_FLAGS, CLI, ...args], {
    cwd: options.cwd ?? path.dirname(FIXTURE_CONFIG),
    env: { ...process.env, DATABASE_URL: options.databaseUrl, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const collect = (stream: NodeJS.ReadableStream, into: string[]) => {
    let buffer = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split("\n");
      buffer = lines.pop()!;
      into.push(...lines);
    });
    stream.on("end", () => {
      if (buffer) into.push(buffer);
    });
  };
  collect(child.stdout, stdout);
  collect(child.stderr, stderr);
  const exited = new Promise<number | string>((resolve) => {
    child.on("close", (code, signal) => resolve(code ?? signal ?? -1));
  });
  return {
    child,
    stdout,
    stderr,
    exited,
    waitForLine: (what, match, timeoutMs = 15_000) =>
      waitFor(
        `${what}\n--- stdout:\n${stdout.slice(-20).join("\n")}\n--- stderr:\n${stderr.join("\n")}`,
        () => stdout.find(match),
        {
          timeoutMs,
        },
      ),
  };
}

/** Runs an `errand` command to completion. */
/** Kills every process of `procs` still running and waits for each to exit; empties `procs`. */
export async function killAll(procs: CliProcess[]): Promise<void> {
  for (const p of procs.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
    await p.exited;
  }
}

export async function runCli(
  args: string[],
  options: { databaseUrl: string; cwd?: string; timeoutMs?: number },
): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const proc = spawnCli(args, options);
  const timer = setTimeout(() => proc.child.kill("SIGKILL"), options.timeoutMs ?? 30_000);
  const code = await proc.exited;
  clearTimeout(timer);
  return { code, stdout: proc.stdout.join("\n"), stderr: proc.stderr.join("\n") };
}

/** A logger (level info, JSON) whose lines are kept, parsed, in `lines`. */
export function capturingLogger() {
  const lines: { msg: string; level: string; [key: string]: unknown }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...logLines(chunk.toString().split("\n").filter(Boolean)));
      done();
    },
  });
  return { lines, logger: createLogger({ level: "info", stream, json: true }) };
}

/** Parses the JSON log lines a worker printed. */
export function logLines(lines: string[]): { msg: string; level: string; [key: string]: unknown }[] {
  return lines.flatMap((line) => {
    try {
      return [JSON.parse(line) as { msg: string; level: string }];
    } catch {
      return [];
    }
  });
}

/**
 * What every suite of real worker processes sets up: a fresh database for the file (handed to
 * `ready`), and after each test the processes it started killed and the `clear` tables emptied.
 *
 * @example
 * let tdb: TestDatabase;
 * const suite = workerProcessSuite({ ready: (t) => (tdb = t), clear: ["errand_tasks"] });
 * const p = suite.startWorker(["--config", FIXTURE_CONFIG]);
 */
export function workerProcessSuite(options: { ready: (tdb: TestDatabase) => void; clear: readonly string[] }) {
  let tdb: TestDatabase | undefined;
  const procs: CliProcess[] = [];
  beforeAll(async () => {
    tdb = await setUpDatabase();
    options.ready(tdb);
  });
  afterEach(async () => {
    await killAll(procs);
    for (const table of options.clear) await sql.raw(`DELETE FROM ${table}`).execute(tdb!.db);
  });
  afterAll(async () => {
    await tearDownDatabase(tdb);
  });
  return {
    /** `errand worker <args>` on the suite's database (`env` added to the process's), killed after the test. */
    startWorker(args: readonly string[], env?: Record<string, string>): CliProcess {
      const p = spawnCli(["worker", ...args], { databaseUrl: tdb!.url, ...(env ? { env } : {}) });
      procs.push(p);
      return p;
    },
  };
}
