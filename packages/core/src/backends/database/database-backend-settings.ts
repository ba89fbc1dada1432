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
  /**
   * Where workers open the connection that LISTENs for enqueues (so they wake at once instead
   * of at their next poll). Default `url`. When `url` goes through a pooler in transaction
   * mode (PgBouncer), point this at Postgres itself: LISTEN belongs to a session, which such
   * a pooler does not keep. `false`: never LISTEN; workers poll every `--interval`.
   */
  listenUrl?: string | false | undefined;
  /** Pool size. Default 10. */
  poolSize?: number | undefined;
  /** Run migrations on first connect. Default true. */
  migrate?: boolean | undefined;
  /** Where the embedded Postgres keeps its data. Default `ERRAND_HOME` or `./.errand`. */
  embeddedDir?: string | undefined;
}
