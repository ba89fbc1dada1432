import { migrate } from "@errand/db";
import type { Kysely } from "kysely";
import { databaseBackend, setUp } from "./common";

/** `errand migrate`: brings the backend's database to the latest schema and says what ran. */
export async function migrateCommand(flags: { config?: string | undefined; backend: string }): Promise<number> {
  await setUp({ config: flags.config, autoMigrate: false });
  const backend = databaseBackend(flags.backend);
  const db = await backend.getDb();
  const result = await migrate(db as Kysely<unknown>);
  const applied = (result.results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
  process.stdout.write(
    applied.length
      ? `Applied ${applied.length} migration(s): ${applied.join(", ")}\n`
      : "The database is up to date.\n",
  );
  return 0;
}
