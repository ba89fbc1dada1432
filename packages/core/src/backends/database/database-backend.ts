import { Kysely, PostgresDialect } from "kysely";
import { ERROR_CODES, ErrandError } from "../../errors";
import { currentAtomicBlock } from "../../transaction/atomic";
import type { EnqueueContext, EnqueueRequest, TaskRecord } from "../../types";
import pg from "pg";
import { migrate, type Database } from "@errand/db";
import { PostgresTaskStore } from "../../store/postgres/postgres-task-store";
import type { TaskStore } from "../../store/task-store";
import type { DatabaseBackendLike } from "../backend";
import { StoreBackend } from "../store-backend";
import type { DatabaseBackendSettings } from "./database-backend-settings";
import { loadEmbedded } from "./load-embedded";
import { probeThrough } from "../../feed/notify-connection";
import { TaskChangeFeed } from "../../feed/task-change-feed";
import type { TaskChangeListener, Unsubscribe } from "../../feed/task-change";

interface Connection {
  db: Kysely<Database>;
  url: string;
  owned: boolean;
  store: PostgresTaskStore;
}

/**
 * Stores tasks in Postgres through Kysely and `pg`: the backend workers run. Connects on
 * first use, to `url`, `DATABASE_URL`, or the project's embedded server, and migrates.
 */
export class DatabaseBackend extends StoreBackend implements DatabaseBackendLike {
  readonly kind = "database" as const;
  readonly supportsDefer = true;
  readonly #settings: DatabaseBackendSettings;
  #connecting: Promise<Connection> | null = null;
  #feed: TaskChangeFeed | null = null;

  constructor(alias: string, settings: DatabaseBackendSettings) {
    super(alias, settings);
    this.#settings = settings;
  }

  protected async getStore(): Promise<TaskStore> {
    return (await this.#connect()).store;
  }

  /**
   * Inside `transaction.atomic(db, …)` on this backend's database, a plain `enqueue()` joins
   * that transaction (Django's database backend writes the row on the same connection):
   * the task exists if and only if the block commits. Inside a block on another Kysely
   * instance, whether it is the same database cannot be told, and committing apart from
   * it would escape it silently: that is an error saying what to write instead.
   */
  override async enqueueMany(requests: EnqueueRequest[], context?: EnqueueContext): Promise<TaskRecord[]> {
    const block = context?.transaction === undefined ? currentAtomicBlock() : undefined;
    if (block) {
      const db = await this.getDb();
      if (block.root !== db && block.trx !== db) {
        throw new ErrandError(
          ERROR_CODES.INVALID_STATE,
          `enqueue() inside transaction.atomic() on another Kysely instance than backend "${this.alias}" uses: ` +
            "Errand cannot tell whether it is the same database. Enqueue in that transaction with " +
            "task.using({ transaction: trx }).enqueue(...), or after it commits with " +
            "transaction.onCommit(() => task.enqueue(...)). (Open the block on getBackend().getDb() to have enqueue() join it.)",
        );
      }
      return super.enqueueMany(requests, { ...context, transaction: block.trx });
    }
    return super.enqueueMany(requests, context);
  }

  async getDb(): Promise<Kysely<Database>> {
    return (await this.#connect()).db;
  }

  /**
   * The push feed, from the table's triggers: one LISTEN connection (on `listenUrl`, else
   * the connection string) for every subscriber in this process.
   */
  override async watchChanges(listener: TaskChangeListener): Promise<Unsubscribe> {
    this.#feed ??= new TaskChangeFeed({
      target: async () => {
        const { db, url } = await this.#connect();
        const listenUrl = this.#settings.listenUrl ?? url;
        return {
          // A backend given only a Kysely instance has no address to LISTEN on.
          listenUrl: listenUrl === "" ? false : listenUrl,
          probe: probeThrough(db),
        };
      },
    });
    return this.#feed.subscribe(listener);
  }

  get listenUrl(): string | false | undefined {
    return this.#settings.listenUrl;
  }

  async getConnectionString(): Promise<string> {
    return (await this.#connect()).url;
  }

  #connect(): Promise<Connection> {
    this.#connecting ??= (async () => {
      const given = this.#settings.db as Kysely<Database> | undefined;
      let url = this.#settings.url ?? process.env.DATABASE_URL ?? "";
      let db: Kysely<Database>;
      if (given) {
        db = given;
      } else {
        if (!url) url = await (await loadEmbedded()).ensureEmbeddedPostgres(this.#settings.embeddedDir);
        const pool = new pg.Pool({ connectionString: url, max: this.#settings.poolSize ?? 10 });
        // Without a listener, an idle connection the server closes (restart,
        // pg_terminate_backend) crashes the process; the pool replaces it on next use.
        pool.on("error", () => undefined);
        // The pool listens only on idle clients: a connection that drops while checked out
        // emits 'error' with no listener and crashes the process. The query in flight
        // still rejects, and the pool discards the dead client on release.
        pool.on("connect", (client) => client.on("error", () => undefined));
        db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
      }
      if (this.#settings.migrate !== false) await migrate(db as Kysely<unknown>);
      return { db, url, owned: !given, store: new PostgresTaskStore(db) };
    })();
    this.#connecting.catch(() => {
      this.#connecting = null;
    });
    return this.#connecting;
  }

  override async close(): Promise<void> {
    const feed = this.#feed;
    this.#feed = null;
    await feed?.close();
    const connecting = this.#connecting;
    this.#connecting = null;
    if (!connecting) return;
    const conn = await connecting.catch(() => null);
    if (conn?.owned) await conn.db.destroy();
  }
}
