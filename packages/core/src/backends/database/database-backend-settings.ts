import type { Kysely } from "kysely";

/** Settings of a backend that stores tasks in Postgres. */
export interface DatabaseBackendSettings {
  backend: "database";
  /** Connection string. Default `DATABASE_URL`; with neither, an embedded Postgres under `.errand/`. */
  url?: string | undefined;
  /** Use this Kysely instance instead of opening a pool (its tables must include Errand's). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  db?: Kysely<any> | undefined;
  /** Allowed queue names; unset or empty allows any. */
  queues?: string[] | undefined;
  /** Pool size. Default 10. */
  poolSize?: number | undefined;
  /** Run migrations on first connect. Default true. */
  migrate?: boolean | undefined;
  /** Where the embedded Postgres keeps its data. Default `ERRAND_HOME` or `./.errand`. */
  embeddedDir?: string | undefined;
}
