import { createHash, randomBytes } from "node:crypto";
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import type { Database } from "../database";
import { migrate } from "../migrate";
import { migrations } from "../migrations/index";

/** The server tests use: `DATABASE_URL`, else the local one. */
export function testServerUrl(): string {
  return process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
}

export interface TestDatabase {
  /** Connection string of the new database. */
  url: string;
  name: string;
  /** A Kysely instance on it (closed by `drop`). */
  db: Kysely<Database>;
  /** Closes `db` and drops the database, kicking out any connection still open. */
  drop(): Promise<void>;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function admin<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** One migrated template per schema version: cloning it is much faster than migrating. */
async function ensureTemplate(serverUrl: string): Promise<string> {
  const fingerprint = createHash("sha1")
    .update(
      Object.entries(migrations)
        .map(([name, m]) => `${name}:${m.up.toString()}`)
        .join("\n"),
    )
    .digest("hex")
    .slice(0, 12);
  const template = `errand_template_${fingerprint}`;
  await admin(serverUrl, async (client) => {
    // One creator at a time across test processes.
    await client.query("SELECT pg_advisory_lock(hashtext('errand_test_template'))");
    try {
      const exists = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [template]);
      if (exists.rowCount) return;
      const building = `${template}_building`;
      await client.query(`DROP DATABASE IF EXISTS "${building}" WITH (FORCE)`);
      await client.query(`CREATE DATABASE "${building}"`);
      const db = new Kysely<unknown>({
        dialect: new PostgresDialect({
          pool: new pg.Pool({ connectionString: withDatabase(serverUrl, building), max: 1 }),
        }),
      });
      try {
        await migrate(db);
      } finally {
        await db.destroy();
      }
      await client.query(`ALTER DATABASE "${building}" RENAME TO "${template}"`);
    } finally {
      await client.query("SELECT pg_advisory_unlock(hashtext('errand_test_template'))");
    }
  });
  return template;
}

/**
 * A fresh, migrated database on the test server, for one test file: runs never see each
 * other's rows. Drop it in `afterAll`.
 *
 * @example
 * let tdb: TestDatabase;
 * beforeAll(async () => { tdb = await createTestDatabase(); configure({ backends: { default: { backend: "database", url: tdb.url } } }); });
 * afterAll(() => tdb.drop());
 */
export async function createTestDatabase(
  options: { serverUrl?: string; poolSize?: number } = {},
): Promise<TestDatabase> {
  const serverUrl = options.serverUrl ?? testServerUrl();
  const template = await ensureTemplate(serverUrl);
  const name = `errand_test_${randomBytes(6).toString("hex")}`;
  await admin(serverUrl, (client) => client.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
  const url = withDatabase(serverUrl, name);
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 5 });
  pool.on("error", () => undefined);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    url,
    name,
    db,
    async drop() {
      await db.destroy().catch(() => undefined);
      await admin(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}
