import { randomBytes } from "node:crypto";
import { sql, type Kysely } from "kysely";
import pg from "pg";
import type { Logger } from "./logger";

/** The channel the `errand_tasks` insert trigger notifies, with the queue name as payload. */
export const NOTIFY_CHANNEL = "errand_tasks";

const PROBE_TIMEOUT_MS = 3000;

export interface NotifyListenerOptions {
  connectionString: string;
  /** Called with the queue name of every notification. */
  onNotify: (queueName: string) => void;
  /** More channels to LISTEN on, each with what to call with a notification's payload. */
  channels?: Record<string, (payload: string) => void> | undefined;
  /** Called after every (re)connection: notifications sent while disconnected were lost. */
  onReconnect: () => void;
  logger: Logger;
  /**
   * Sends a NOTIFY on `channel` the way enqueues send theirs (through the pool). After each
   * LISTEN the listener checks that it arrives: through a pooler in transaction mode it
   * does not (LISTEN needs a session), and the listener gives up, so the worker polls.
   */
  probe?: ((channel: string) => Promise<void>) | undefined;
  /** How long the probe's notification may take. Default 3 s. */
  probeTimeoutMs?: number | undefined;
}

/**
 * The worker's LISTEN connection on `listenUrl` (`false` or empty: none, the worker polls),
 * probed with a NOTIFY sent through `db`'s pool.
 */
export async function openNotifyListener(options: {
  listenUrl: string | false | undefined;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  db: Kysely<any>;
  logger: Logger;
  onNotify: (queueName: string) => void;
  /** More channels to LISTEN on (see `NotifyListenerOptions.channels`). */
  channels?: Record<string, (payload: string) => void> | undefined;
  onReconnect: () => void;
}): Promise<NotifyListener | null> {
  const { listenUrl, db, logger } = options;
  if (listenUrl === false) {
    logger.info("listenUrl is false: polling only, no LISTEN/NOTIFY");
    return null;
  }
  if (!listenUrl) {
    // A backend configured with its own Kysely instance (`db`) and no `url`: there is no
    // address to open the LISTEN connection to.
    logger.warn("backend has no connection string (set its url or listenUrl); polling only, no LISTEN/NOTIFY");
    return null;
  }
  const listener = new NotifyListener({
    connectionString: listenUrl,
    logger,
    onNotify: options.onNotify,
    channels: options.channels,
    onReconnect: options.onReconnect,
    probe: async (channel) => {
      await sql`SELECT pg_notify(${channel}, '')`.execute(db);
    },
  });
  await listener.start();
  return listener;
}

/**
 * Holds one dedicated connection that LISTENs on `errand_tasks`, so an idle worker wakes
 * within a millisecond or so of an enqueue instead of at its next poll. A pool cannot do
 * this: LISTEN belongs to a session (nor can a pooler in transaction mode such as
 * PgBouncer: the probe finds that out, and the listener stops). When the connection drops
 * (server restart, `pg_terminate_backend`) it reconnects with backoff (0.1 s doubling to
 * 5 s); meanwhile the worker's polling covers for it.
 */
export class NotifyListener {
  readonly #options: NotifyListenerOptions;
  #client: pg.Client | null = null;
  #closed = false;
  #retryDelayMs = 100;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(options: NotifyListenerOptions) {
    this.#options = options;
  }

  /** Connects; resolves once LISTEN is in place, or after the first failure (it keeps retrying). */
  async start(): Promise<void> {
    await this.#connect();
  }

  /** True while LISTEN is active. */
  get connected(): boolean {
    return this.#client !== null;
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    const client = new pg.Client({ connectionString: this.#options.connectionString, keepAlive: true });
    let failed = false;
    const onLost = (error?: Error) => {
      if (failed) return;
      failed = true;
      if (this.#client === client) this.#client = null;
      client.removeAllListeners("notification");
      void client.end().catch(() => undefined);
      if (this.#closed) return;
      this.#options.logger.warn("notification connection lost; polling until it is back", {
        error: error?.message,
        retryInMs: this.#retryDelayMs,
      });
      this.#scheduleReconnect();
    };
    client.on("error", onLost);
    client.on("end", () => onLost());
    client.on("notification", (msg) => {
      if (msg.channel === NOTIFY_CHANNEL) this.#options.onNotify(msg.payload ?? "");
      else this.#options.channels?.[msg.channel]?.(msg.payload ?? "");
    });
    let probed: boolean;
    try {
      await client.connect();
      await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
      for (const channel of Object.keys(this.#options.channels ?? {})) await client.query(`LISTEN ${channel}`);
      probed = await this.#probe(client);
    } catch (error) {
      onLost(error as Error);
      return;
    }
    if (this.#closed || failed || !probed) {
      client.removeAllListeners("end");
      await client.end().catch(() => undefined);
      if (!probed && !this.#closed) {
        this.#closed = true;
        this.#options.logger.warn(
          "a NOTIFY sent through the pool did not reach the LISTEN connection: is the url a pooler in transaction mode (PgBouncer)? Set the backend's listenUrl (or --listen-url) to a direct connection to Postgres. Polling every --interval meanwhile",
          { waitedMs: this.#options.probeTimeoutMs ?? PROBE_TIMEOUT_MS },
        );
      }
      return;
    }
    const wasRetrying = this.#retryDelayMs > 100;
    this.#retryDelayMs = 100;
    this.#client = client;
    if (wasRetrying) this.#options.logger.info("notification connection restored");
    this.#options.onReconnect();
  }

  /**
   * Whether a NOTIFY sent through the pool reaches this connection, on a channel of its own.
   * `true` without a probe, and when the probe cannot be sent (the database is down: the
   * reconnection logic handles that).
   */
  async #probe(client: pg.Client): Promise<boolean> {
    const probe = this.#options.probe;
    if (!probe) return true;
    const channel = `errand_probe_${randomBytes(8).toString("hex")}`;
    await client.query(`LISTEN ${channel}`);
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onNotification: ((msg: pg.Notification) => void) | undefined;
    const arrived = new Promise<boolean>((resolve) => {
      onNotification = (msg) => {
        if (msg.channel === channel) resolve(true);
      };
      client.on("notification", onNotification);
      timer = setTimeout(() => resolve(false), this.#options.probeTimeoutMs ?? PROBE_TIMEOUT_MS);
    });
    try {
      await probe(channel);
    } catch {
      clearTimeout(timer);
      client.off("notification", onNotification!);
      return true;
    }
    const ok = await arrived;
    clearTimeout(timer);
    client.off("notification", onNotification!);
    if (ok) await client.query(`UNLISTEN ${channel}`);
    return ok;
  }

  #scheduleReconnect(): void {
    if (this.#retryTimer || this.#closed) return;
    const delay = this.#retryDelayMs;
    this.#retryDelayMs = Math.min(this.#retryDelayMs * 2, 5_000);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      void this.#connect();
    }, delay);
    this.#retryTimer.unref();
  }

  /** Stops listening and closes the connection. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    const client = this.#client;
    this.#client = null;
    if (client) {
      client.removeAllListeners("end");
      await client.end().catch(() => undefined);
    }
  }
}
