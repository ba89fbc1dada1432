/**
 * `npm run bench:web` — how the dashboard's reads hold up with millions of tasks. A benchmark
 * that prints figures, not a test.
 *
 * Fills a dedicated database (`errand_bench_web`, dropped and created unless `--reuse`) with
 * `--rows` tasks (default 10,000,000) by `generate_series`, then times through the tRPC router
 * (`createCaller`, no HTTP): `stats`, `list` with each filter and a deep page, next to the
 * `count(*)` that `stats` ran before the counters (the polling path of the dashboard before).
 *
 *   npm run bench:web -- --rows 1000000
 *   npm run bench:web -- --reuse --calls 50
 *   DATABASE_URL=postgres://me@db:5432/postgres npm run bench:web
 *   npm run bench:web -- --load      the endpoint under HTTP load and 2,000 streams (bench-web-load.ts)
 *
 * 10M rows take ≈6 GB of disk and several minutes to fill on 2 cores: the script checks the
 * free space first.
 */
import { execFileSync } from "node:child_process";
import { parseArgs } from "node:util";
import { performance } from "node:perf_hooks";
import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import { closeBackends, configure } from "@errand/core";
import { migrate, type Database } from "@errand/db";
import { createTaskRouter } from "@errand/trpc";
import { DEFAULT_SERVER_URL } from "./database-url";

// `--load`: the HTTP load run instead (bench-web-load.ts), which exits when done.
if (process.argv.includes("--load")) await import("./bench-web-load");

const { values: opts } = parseArgs({
  options: {
    rows: { type: "string", default: "10000000" },
    database: { type: "string", default: "errand_bench_web" },
    reuse: { type: "boolean", default: false },
    calls: { type: "string", default: "30" },
    help: { type: "boolean", default: false },
  },
});
if (opts.help) {
  console.log(
    `npm run bench:web -- [--rows N (10000000)] [--database NAME (errand_bench_web)] [--reuse] [--calls N (30)]`,
  );
  process.exit(0);
}
const rows = Number(opts.rows);
const calls = Number(opts.calls);
if (!Number.isInteger(rows) || rows < 1000) throw new Error(`--rows must be an integer ≥ 1000, got ${opts.rows}`);
if (!/^[a-z_][a-z0-9_]{0,62}$/.test(opts.database)) throw new Error(`--database must be a plain lower-case name`);

const serverUrl = process.env.DATABASE_URL ?? DEFAULT_SERVER_URL;
const url = new URL(serverUrl);
url.pathname = `/${opts.database}`;
const QUEUES = ["default", "email", "reports", "billing", "bulk"];

function log(message: string) {
  console.log(`[bench:web] ${message}`);
}

/** Free bytes on the filesystem of the server's data directory, when it is this machine's. */
async function checkDisk(admin: pg.Client) {
  const need = rows * 650;
  try {
    const { rows: dir } = await admin.query<{ data_directory: string }>(`SHOW data_directory`);
    const out = execFileSync("df", ["-Pk", dir[0]!.data_directory], { encoding: "utf8" }).trim().split("\n").pop()!;
    const free = Number(out.split(/\s+/)[3]) * 1024;
    log(
      `disk: ${(free / 1e9).toFixed(1)} GB free, ≈${(need / 1e9).toFixed(1)} GB needed for ${rows.toLocaleString("en")} rows`,
    );
    if (free < need * 1.5)
      throw new Error(`Not enough disk: free space or use --rows ${Math.floor(free / 1000 / 1.5)}`);
  } catch (error) {
    if (error instanceof Error && error.message.startsWith("Not enough disk")) throw error;
    log(`disk: could not check the server's free space (${String(error)}); going on`);
  }
}

async function fill(db: Kysely<Database>) {
  const chunk = 500_000;
  const started = performance.now();
  // Statuses by residue: 96 % SUCCESSFUL, 2 % FAILED, 1 % PENDING (due), 1 % RUNNING; one
  // task every 0.25 s back from now, so the last hour holds 14,400 of them; 20 task names over
  // 5 queues, plus a rare queue and a rare task name (one row in 100,000) for the worst filters.
  for (let from = 1; from <= rows; from += chunk) {
    const to = Math.min(rows, from + chunk - 1);
    await sql`
      INSERT INTO errand_tasks (task_name, queue_name, args, status, run_after, scheduled_at, enqueued_at,
        started_at, last_attempted_at, finished_at, attempts, worker_ids, return_value, errors, locked_by, locked_until)
      SELECT
        CASE WHEN g % 100000 = 7 THEN 'bench.rare' ELSE 'bench.task' || (g % 20) END,
        CASE WHEN g % 100000 = 3 THEN 'rare' ELSE (${sql.val(QUEUES)}::text[])[1 + g % 5] END,
        jsonb_build_array(g), s.status, s.t, s.t, s.t,
        CASE WHEN s.status = 'PENDING' THEN NULL ELSE s.t END,
        CASE WHEN s.status = 'PENDING' THEN NULL ELSE s.t END,
        CASE WHEN s.status IN ('SUCCESSFUL', 'FAILED') THEN s.t + interval '50 ms' END,
        CASE WHEN s.status = 'PENDING' THEN 0 ELSE 1 END,
        CASE WHEN s.status = 'PENDING' THEN '{}'::text[] ELSE '{bench-worker}'::text[] END,
        CASE WHEN s.status = 'SUCCESSFUL' THEN '{"ok":true}'::jsonb END,
        CASE WHEN s.status = 'FAILED'
          THEN '[{"exceptionClass":"Error","message":"boom","traceback":"Error: boom","attempt":1,"failedAt":"2026-01-01T00:00:00Z"}]'::jsonb
          ELSE '[]'::jsonb END,
        CASE WHEN s.status = 'RUNNING' THEN 'bench-worker' END,
        CASE WHEN s.status = 'RUNNING' THEN now() + interval '1 year' END
      FROM generate_series(${from}::bigint, ${to}::bigint) AS g,
      LATERAL (SELECT
        CASE WHEN g % 100 < 96 THEN 'SUCCESSFUL' WHEN g % 100 < 98 THEN 'FAILED' WHEN g % 100 < 99 THEN 'PENDING' ELSE 'RUNNING' END AS status,
        now() - (${rows}::bigint - g) * interval '250 ms' - interval '1 second' AS t) AS s`.execute(db);
    log(`filled ${to.toLocaleString("en")} rows (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  }
  await sql`VACUUM ANALYZE errand_tasks`.execute(db);
  await sql`SELECT errand_task_counts_compact()`.execute(db);
  log(`filled and analysed in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

function percentiles(samples: number[]): string {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return `p50 ${at(0.5).toFixed(1).padStart(8)} ms   p95 ${at(0.95).toFixed(1).padStart(8)} ms`;
}

async function time(n: number, run: () => Promise<unknown>): Promise<number[]> {
  await run(); // warm: plans, pool
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await run();
    samples.push(performance.now() - t0);
  }
  return samples;
}

const admin = new pg.Client({ connectionString: serverUrl });
await admin.connect();
await checkDisk(admin);
const exists = (await admin.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [opts.database])).rowCount === 1;
const have = exists && opts.reuse ? await countRows() : 0;
if (have !== rows) {
  if (opts.reuse && exists)
    log(`--reuse: the database holds ${have.toLocaleString("en")} rows, not ${rows}; refilling`);
  await admin.query(`DROP DATABASE IF EXISTS "${opts.database}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${opts.database}"`);
}
const pool = new pg.Pool({ connectionString: url.toString(), max: 4 });
pool.on("error", () => undefined);
const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
try {
  if (have !== rows) {
    await migrate(db as unknown as Kysely<unknown>);
    await fill(db);
  } else {
    log(`reusing ${opts.database} with ${have.toLocaleString("en")} rows`);
  }

  // listenUrl: the push feed's own connection (the pool is given as a Kysely instance).
  configure({ backends: { default: { backend: "database", db, listenUrl: url.toString() } } });
  const router = createTaskRouter({ tasks: [], authorize: () => true });
  const caller = router.createCaller({});

  const results: [string, number[]][] = [];
  const measure = async (label: string, n: number, run: () => Promise<unknown>) => {
    const samples = await time(n, run);
    results.push([label, samples]);
    log(`${label.padEnd(44)} ${percentiles(samples)}`);
  };
  const { nextCursor } = await caller.list({ limit: 50 });
  const deepCursor = String(BigInt(nextCursor!) - BigInt(Math.floor(rows / 2)));

  await measure("stats (counters)", calls, () => caller.stats());
  await measure("list, no filter", calls, () => caller.list({ limit: 50 }));
  for (const status of ["PENDING", "RUNNING", "SUCCESSFUL", "FAILED"] as const) {
    await measure(`list status=${status}`, calls, () => caller.list({ status, limit: 50 }));
  }
  await measure("list queueName=email", calls, () => caller.list({ queueName: "email", limit: 50 }));
  await measure("list queueName=rare (1 row in 100,000)", calls, () => caller.list({ queueName: "rare", limit: 50 }));
  await measure("list taskName=bench.task3", calls, () => caller.list({ taskName: "bench.task3", limit: 50 }));
  await measure("list taskName=bench.rare (1 in 100,000)", calls, () =>
    caller.list({ taskName: "bench.rare", limit: 50 }),
  );
  await measure("list status=FAILED queueName=email", calls, () =>
    caller.list({ status: "FAILED", queueName: "email", limit: 50 }),
  );
  await measure("list, a page half-way down (cursor)", calls, () => caller.list({ cursor: deepCursor, limit: 50 }));

  // What `stats` ran on every poll before the counters.
  await measure("stats by count(*) (before the counters)", Math.min(calls, 5), () =>
    Promise.all([
      sql`SELECT queue_name, status, count(*)::int FROM errand_tasks GROUP BY 1, 2`.execute(db),
      sql`SELECT date_trunc('minute', finished_at), count(*) FILTER (WHERE status = 'SUCCESSFUL')::int,
            count(*) FILTER (WHERE status = 'FAILED')::int
          FROM errand_tasks WHERE finished_at IS NOT NULL AND finished_at > now() - interval '1 hour' GROUP BY 1`.execute(
        db,
      ),
      sql`SELECT min(run_after) FROM errand_tasks WHERE status = 'PENDING' AND run_after <= now()`.execute(db),
    ]),
  );
  await measurePush(caller, db, results);
  console.log(`\n${rows.toLocaleString("en")} tasks, ${calls} calls each (PostgreSQL ${await serverVersion()}):\n`);
  console.log(`| read | p50 ms | p95 ms |\n| --- | ---: | ---: |`);
  for (const [label, samples] of results) {
    const s = [...samples].sort((a, b) => a - b);
    const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!.toFixed(1);
    console.log(`| ${label} | ${at(0.5)} | ${at(0.95)} |`);
  }
} finally {
  await closeBackends().catch(() => undefined);
  await db.destroy().catch(() => undefined);
  await admin.end();
}

/**
 * How long a change takes to reach the page: through `watch` (the push feed: the trigger's
 * NOTIFY, the server's one LISTEN connection, the subscription) and through today's polling
 * (`getResult` every second, as `useTaskResult` polled). Each sample stores one task and
 * times from sending its INSERT to the moment the subscriber, or the poller, first sees it.
 */
async function measurePush(
  caller: {
    watch: (input: { taskName: string }) => Promise<AsyncIterable<unknown>>;
    getResult: (input: { id: string }) => Promise<unknown>;
  },
  db: Kysely<Database>,
  results: [string, number[]][],
) {
  const insert = async () => {
    const { rows: r } = await sql<{ id: string }>`
      INSERT INTO errand_tasks (task_name, queue_name, args, run_after) VALUES ('bench.push', 'push', '[]', now() + interval '1 day')
      RETURNING id`.execute(db);
    return r[0]!.id;
  };
  const stream = (await caller.watch({ taskName: "bench.push" }))[Symbol.asyncIterator]();
  await stream.next(); // `resync: subscribed`: listening from here on
  const pushed: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    const next = stream.next();
    await insert();
    await next;
    pushed.push(performance.now() - t0);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await stream.return?.();
  results.push(["push delay: watch (INSERT sent → event)", pushed]);
  log(`${"push delay: watch".padEnd(44)} ${percentiles(pushed)}`);

  // Polling every second: the task is seen at the first poll after it is stored.
  const polled: number[] = [];
  const samples = Math.min(calls, 10);
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    const id = await insert();
    // The next poll comes at a random point of the second after the change, as a browser's does.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 1000));
    await caller.getResult({ id });
    polled.push(performance.now() - t0);
  }
  results.push([`push delay: polling every 1 s (${samples} samples)`, polled]);
  log(`${"push delay: polling every 1 s".padEnd(44)} ${percentiles(polled)}`);
}

/** Tasks in the existing database, by its counters (0 if it has none). */
async function countRows(): Promise<number> {
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const { rows: r } = await client.query<{ n: number }>(
      `SELECT coalesce(sum(count), 0)::int AS n FROM errand_task_counts`,
    );
    return r[0]!.n;
  } catch {
    return 0;
  } finally {
    await client.end();
  }
}

async function serverVersion(): Promise<string> {
  const { rows: r } = await admin.query<{ server_version: string }>(`SHOW server_version`);
  return r[0]!.server_version;
}
