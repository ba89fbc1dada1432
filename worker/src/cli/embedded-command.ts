import { loadEmbedded } from "@errand/core/internal";
import { UsageError } from "./usage-error";

/**
 * `errand embedded start|stop|url`: the project's embedded Postgres (under `.errand/`, or
 * `ERRAND_HOME`), which the app and the worker start on demand when no DATABASE_URL is set
 * and which keeps running after them.
 */
export async function embeddedCommand(action: string | undefined): Promise<number> {
  const { embeddedHome, ensureEmbeddedPostgres, stopEmbeddedPostgres } = await loadEmbedded();
  const home = embeddedHome();
  switch (action) {
    case "start":
    case "url":
      process.stdout.write(`${await ensureEmbeddedPostgres()}\n`);
      return 0;
    case "stop":
      process.stdout.write(
        (await stopEmbeddedPostgres())
          ? `Stopped the embedded Postgres of ${home}.\n`
          : `No embedded Postgres runs for ${home}.\n`,
      );
      return 0;
    default:
      throw new UsageError(
        `errand embedded needs "start" (prints its URL), "url" or "stop", got ${JSON.stringify(action ?? "")}.`,
      );
  }
}
