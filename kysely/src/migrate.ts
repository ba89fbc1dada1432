import { Migrator, type Kysely, type MigrationResultSet } from "kysely";
import { migrations } from "./migrations/index";

/** The table Kysely's `Migrator` keeps its own bookkeeping in. */
export const MIGRATION_TABLE = "errand_migrations";

/**
 * Brings the database up to the latest schema. Safe to run from several processes at
 * once: Kysely's `Migrator` takes a lock for the duration.
 *
 * @example
 * await migrate(db);
 */
export async function migrate(db: Kysely<unknown>): Promise<MigrationResultSet> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: `${MIGRATION_TABLE}_lock`,
  });
  const result = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === "Error");
    throw new Error(
      `Errand could not migrate the database${failed ? ` (migration ${failed.migrationName})` : ""}: ${String(
        (result.error as Error).message ?? result.error,
      )}. Check that DATABASE_URL points at a Postgres server you may create tables in.`,
      { cause: result.error },
    );
  }
  return result;
}
