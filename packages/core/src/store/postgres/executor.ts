import type { Kysely, Transaction } from "kysely";
import type { Database } from "@errand/db";

/** Every query function runs on the pool or inside the caller's transaction. */
export type Executor = Kysely<Database> | Transaction<Database>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A malformed id is "not found", never a uuid parse error from the server. */
export function isUuid(id: unknown): id is string {
  return typeof id === "string" && UUID.test(id);
}
