import path from "node:path";
import pg from "pg";
import { ensureEmbeddedPostgres } from "@errand/embedded";

/** The system server's default database, used when creating throwaway databases. */
export const DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/postgres";

/**
 * The connection string both the web app and the worker get.
 *
 * - `freshDatabase`: drops and creates that database on the `DATABASE_URL` server (or the
 *   local default) and returns its URL — every e2e run starts empty.
 * - else `DATABASE_URL` as it is.
 * - else the embedded Postgres under `.errand/`, started once here so both children join it.
 */
export async function resolveDatabaseUrl(options: {
  freshDatabase?: string | undefined;
  rootDir: string;
}): Promise<string> {
  const given = process.env.DATABASE_URL;
  if (options.freshDatabase) {
    return recreateDatabase(given ?? DEFAULT_SERVER_URL, options.freshDatabase);
  }
  if (given) return given;
  return startEmbedded(options.rootDir);
}

/** Drops (forcing out old sessions) and creates `name` next to the database of `serverUrl`. */
export async function recreateDatabase(serverUrl: string, name: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
    throw new Error(`Database name "${name}" must be lower-case letters, digits and underscores.`);
  }
  const client = new pg.Client({ connectionString: serverUrl });
  client.on("error", () => {});
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function startEmbedded(rootDir: string): Promise<string> {
  // Started here, once, so the web app and the worker join one server instead of racing
  // to initialise it. It keeps running after the app stops (`errand` data lives in .errand/).
  process.env.ERRAND_HOME ??= path.join(rootDir, ".errand");
  console.log(`[errand] DATABASE_URL is not set: using the embedded Postgres in ${process.env.ERRAND_HOME}`);
  return ensureEmbeddedPostgres(process.env.ERRAND_HOME);
}
