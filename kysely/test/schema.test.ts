import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import { migrate, migrations } from "@errand/db";
import { testServerUrl } from "@errand/db/testing";

const run = promisify(execFile);
const schemaFile = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "schema.sql");
const name = `errand_schema_${process.pid}`;
let url: string;
let db: Kysely<unknown>;

async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: testServerUrl() });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await adminQuery(`CREATE DATABASE "${name}"`);
  const u = new URL(testServerUrl());
  u.pathname = `/${name}`;
  url = u.toString();
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  pool.on("error", () => undefined);
  db = new Kysely({ dialect: new PostgresDialect({ pool }) });
});
afterAll(async () => {
  await db?.destroy();
  await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
});

/** The schema as pg_dump prints it, without the lines that vary between runs and versions. */
async function dumpSchema(): Promise<string> {
  const { stdout } = await run("pg_dump", ["--schema-only", "--no-owner", "--no-privileges", url]);
  return (
    stdout
      .split("\n")
      .filter(
        (l) =>
          !l.startsWith("--") && !l.startsWith("SET ") && !l.startsWith("SELECT pg_catalog.") && !l.startsWith("\\"),
      )
      .join("\n")
      .replace(/\n{3,}/g, "\n\n")
      .trim() + "\n"
  );
}

describe("migrations", () => {
  it("run once even when several processes migrate at the same time", async () => {
    const results = await Promise.all([migrate(db), migrate(db), migrate(db)]);
    const applied = results.flatMap((r) => r.results ?? []).filter((r) => r.status === "Success");
    expect(applied.map((r) => r.migrationName)).toEqual(Object.keys(migrations));
    const again = await migrate(db);
    expect(again.results).toEqual([]);
  });

  it("match the checked-in schema dump (UPDATE_SCHEMA=1 rewrites kysely/schema.sql)", async () => {
    const dump = await dumpSchema();
    if (process.env.UPDATE_SCHEMA) writeFileSync(schemaFile, dump);
    expect(dump).toBe(readFileSync(schemaFile, "utf8"));
  });

  it("names every invariant as a CHECK constraint", async () => {
    const { rows } = await sql<{ conname: string }>`
      SELECT conname FROM pg_constraint WHERE conrelid = 'errand_tasks'::regclass AND contype = 'c' ORDER BY conname`.execute(
      db,
    );
    expect(rows.map((r) => r.conname)).toEqual(
      expect.arrayContaining([
        "errand_tasks_status_valid",
        "errand_tasks_priority_range",
        "errand_tasks_finished_iff_finished_at",
        "errand_tasks_running_iff_locked",
        "errand_tasks_attempts_counted",
      ]),
    );
  });

  it("roll back cleanly", async () => {
    const down = migrations["0001-create-tasks"]!.down!;
    await down(db);
    const { rows } = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'errand_tasks'`.execute(db);
    expect(rows[0]!.n).toBe(0);
  });
});
