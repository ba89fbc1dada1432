/**
 * The embedded Postgres could not be started or reached. `@errand/core` turns it into an
 * `ErrandError` with code `INVALID_CONFIG`; the message says what to do.
 */
export class EmbeddedPostgresError extends Error {
  readonly code = "EMBEDDED_POSTGRES";

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "EmbeddedPostgresError";
  }
}
