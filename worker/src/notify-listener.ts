import pg from "pg";
import type { Logger } from "./logger";

/** The channel the `errand_tasks` insert trigger notifies, with the queue name as payload. */
export const NOTIFY_CHANNEL = "errand_tasks";

export interface NotifyListenerOptions {
  connectionString: string;
  /** Called with the queue name of every notification. */
  onNotify: (queueName: string) => void;
  /** More channels to LISTEN on, each with what to call with a notification's payload. */
  channels?: Record<string, (payload: string) => void> | undefined;
  /** Called after every (re)connection: notifications sent while disconnected were lost. */
  onReconnect: () => void;
  logger: Logger;
}

/**
 * Holds one dedicated connection that LISTENs on `errand_tasks`, so an idle worker wakes
 * within a millisecond or so of an enqueue instead of at its next poll. A pool cannot do
 * this: LISTEN belongs to a session. When the connection drops (server restart,
 * `pg_terminate_backend`) it reconnects with backoff (0.1 s doubling to 5 s); meanwhile the
 * worker's polling covers for it.
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
    try {
      await client.connect();
      await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
      for (const channel of Object.keys(this.#options.channels ?? {})) await client.query(`LISTEN ${channel}`);
    } catch (error) {
      onLost(error as Error);
      return;
    }
    if (this.#closed || failed) {
      await client.end().catch(() => undefined);
      return;
    }
    const wasRetrying = this.#retryDelayMs > 100;
    this.#retryDelayMs = 100;
    this.#client = client;
    if (wasRetrying) this.#options.logger.info("notification connection restored");
    this.#options.onReconnect();
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
