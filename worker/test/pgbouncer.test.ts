// Errand behind PgBouncer in transaction mode, the pooler many production set-ups put in front
// of Postgres: each transaction may run on another server connection, so nothing may rely on
// session state, and LISTEN (a session's) needs a direct connection. The test starts its own
// pgbouncer (own port, own config in a temp dir) in front of 127.0.0.1:5432.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import pg from "pg";
import { migrate } from "@errand/db";
import { closeBackends, configure, getBackend, transaction, type DatabaseBackendLike } from "@errand/core";
import type { TestDatabase } from "@errand/core/testing";
import { Worker } from "../src/index";
import { record } from "./fixtures/tasks";
import { capturingLogger, setUpDatabase, statusCounts, tearDownDatabase, waitFor } from "./helpers";

const PGBOUNCER = ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"].find((p) => spawnSync(p, ["--version"]).status === 0);
if (!PGBOUNCER) {
  console.warn(
    "pgbouncer.test.ts: skipped, pgbouncer is not installed (apt-get install pgbouncer; .ci/run installs it).",
  );
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A pgbouncer in transaction mode in front of the test server, run as the `postgres` user (it refuses root). */
async function startPgBouncer(): Promise<{ port: number; dir: string; child: ChildProcess; stop(): Promise<void> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "errand-pgbouncer-"));
  const port = await freePort();
  writeFileSync(path.join(dir, "userlist.txt"), '"postgres" ""\n');
  writeFileSync(
    path.join(dir, "pgbouncer.ini"),
    [
      "[databases]",
      "* = host=127.0.0.1 port=5432",
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      "unix_socket_dir =",
      "auth_type = trust",
      `auth_file = ${path.join(dir, "userlist.txt")}`,
      "admin_users = postgres",
      "pool_mode = transaction",
      // Few server connections for many clients: transactions of different clients share them.
      "default_pool_size = 4",
      "max_client_conn = 200",
      `logfile = ${path.join(dir, "pgbouncer.log")}`,
      "",
    ].join("\n"),
  );
  const user = process.getuid?.() === 0 ? spawnSync("id", ["-u", "postgres"], { encoding: "utf8" }) : null;
  const uid = user ? Number(user.stdout.trim()) : undefined;
  const gid = user ? Number(spawnSync("id", ["-g", "postgres"], { encoding: "utf8" }).stdout.trim()) : undefined;
  if (uid !== undefined && gid !== undefined) {
    chownSync(dir, uid, gid);
    chmodSync(dir, 0o755);
  }
  const child = spawn(PGBOUNCER!, [path.join(dir, "pgbouncer.ini")], { uid, gid, stdio: "ignore" });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  await waitFor(
    "pgbouncer to accept connections",
    async () => {
      if (child.exitCode !== null) {
        throw new Error(`pgbouncer exited ${child.exitCode}: ${readFileSync(path.join(dir, "pgbouncer.log"), "utf8")}`);
      }
      const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
      try {
        await client.connect();
        await client.query("SELECT 1");
        return true;
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    { timeoutMs: 20_000, everyMs: 100 },
  );
  return {
    port,
    dir,
    child,
    async stop() {
      child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Transactions pgbouncer has carried for a database, from its admin console. */
async function bouncedTransactions(port: number, database: string): Promise<number> {
  const admin = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/pgbouncer` });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ database: string; total_xact_count: string }>("SHOW STATS");
    return Number(rows.find((r) => r.database === database)?.total_xact_count ?? 0);
  } finally {
    await admin.end();
  }
}

describe.skipIf(!PGBOUNCER)("behind PgBouncer in transaction mode", () => {
  let tdb: TestDatabase;
  let bouncer: Awaited<ReturnType<typeof startPgBouncer>>;
  let bouncedUrl: string;
  let database: string;

  beforeAll(async () => {
    tdb = await setUpDatabase();
    bouncer = await startPgBouncer();
    const url = new URL(tdb.url);
    database = url.pathname.slice(1);
    url.host = `127.0.0.1:${bouncer.port}`;
    bouncedUrl = url.toString();
  }, 60_000);

  afterAll(async () => {
    await tearDownDatabase(tdb);
    await bouncer?.stop();
  });

  it("migrates, enqueues, drains with a worker that LISTENs on a direct listenUrl, and serves the dashboard's queries", async () => {
    configure({ backends: { default: { backend: "database", url: bouncedUrl, listenUrl: tdb.url, poolSize: 8 } } });
    const backend = getBackend() as DatabaseBackendLike;
    const db = await backend.getDb();
    // Through the pooler: Kysely's migration lock is a transaction-level advisory lock.
    await migrate(db as never);
    const before = await bouncedTransactions(bouncer.port, database);

    const { lines, logger } = capturingLogger();
    const worker = new Worker({ concurrency: 8, interval: 5, logger });
    await worker.start();
    try {
      expect(lines.find((l) => l.msg === "worker started")).toMatchObject({ listening: true });
      // Enqueues of every kind: one, many in one statement, and inside the caller's transaction.
      const one = await record.enqueue("one");
      const many = await record.enqueueMany(Array.from({ length: 300 }, (_, i) => [`many-${i}`]));
      await transaction.atomic(db, async () => {
        await record.enqueue("in a transaction");
      });
      await expect(
        transaction.atomic(db, async () => {
          await record.enqueue("rolled back");
          throw new Error("roll back");
        }),
      ).rejects.toThrow("roll back");
      // The poll is 5 s away: NOTIFY through the pooler reaches the direct LISTEN and wakes it.
      await waitFor("the drain", async () => (await statusCounts(tdb)).SUCCESSFUL === 302, { timeoutMs: 60_000 });
      expect(await statusCounts(tdb)).toEqual({ SUCCESSFUL: 302 });
      expect((await one.refresh()).status).toBe("SUCCESSFUL");
      expect((await many[299]!.refresh()).returnValue).toEqual({ label: "many-299" });
    } finally {
      await worker.stop();
    }

    // The dashboard's queries.
    const page = await backend.list({ limit: 10 });
    expect(page.items).toHaveLength(10);
    expect((await backend.list({ cursor: page.nextCursor!, limit: 500 })).items).toHaveLength(292);
    expect((await backend.stats()).byStatus.SUCCESSFUL).toBe(302);
    const pending = await record.enqueue("to cancel");
    expect((await backend.cancel(pending.id)).status).toBe("FAILED");
    expect((await backend.retry(pending.id)).status).toBe("PENDING");
    expect(await backend.prune({ age: 0 })).toBe(302);
    // All of it went through pgbouncer.
    expect((await bouncedTransactions(bouncer.port, database)) - before).toBeGreaterThan(50);
    await closeBackends();
  });

  it("without a listenUrl, finds that LISTEN through the pooler hears nothing, says what to set, and polls", async () => {
    configure({ backends: { default: { backend: "database", url: bouncedUrl, poolSize: 4 } } });
    await sql`DELETE FROM errand_tasks`.execute(tdb.db);
    const { lines, logger } = capturingLogger();
    const worker = new Worker({ concurrency: 4, interval: 0.2, logger });
    await worker.start();
    try {
      expect(lines.find((l) => l.msg === "worker started")).toMatchObject({ listening: false });
      const warning = lines.find((l) => String(l.msg).includes("did not reach the LISTEN connection"));
      expect(warning?.msg).toMatch(/listenUrl \(or --listen-url\) to a direct connection/);
      await record.enqueueMany(Array.from({ length: 50 }, (_, i) => [`polled-${i}`]));
      await waitFor("the drain by polling", async () => (await statusCounts(tdb)).SUCCESSFUL === 50, {
        timeoutMs: 60_000,
      });
    } finally {
      await worker.stop();
      await closeBackends();
    }
  });
});
