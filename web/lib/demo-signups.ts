import { sql, type Generated, type Kysely } from "kysely";

/** The demo app's own table, to show a row and a task committing together. */
export type DemoTables = {
  demo_signups: {
    id: Generated<number>;
    email: string;
    created_at: Generated<Date>;
  };
};

let created: Promise<void> | null = null;

/** Creates `demo_signups` on first use (a real app has a migration for this). */
export function ensureSignupsTable(db: Kysely<DemoTables>): Promise<void> {
  created ??= db.schema
    .createTable("demo_signups")
    .ifNotExists()
    .addColumn("id", "serial", (c) => c.primaryKey())
    .addColumn("email", "text", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
    .then(() => undefined)
    .catch((error: unknown) => {
      created = null;
      throw error;
    });
  return created;
}

export async function countSignups(db: Kysely<DemoTables>): Promise<number> {
  const row = await db
    .selectFrom("demo_signups")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
