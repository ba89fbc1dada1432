import { randomBytes } from "node:crypto";
import { sql, type Kysely } from "kysely";
import pg from "pg";

const PROBE_TIMEOUT_MS = 3000;

/** What a `NotifyConnection` logs through (the worker's logger fits; so does `console`). */
export interface NotifyLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

/**
 * A `probe` that sends its NOTIFY through `db`'s pool, the way the app's writes send theirs.
 *
 * @example
 * new NotifyConnection({ ..., probe: probeThrough(db) });
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function probeThrough(db: Kysely<any>): (channel: string) => Promise<void> {
  return async (channel) => {
    await sql`SELECT pg_notify(${channel}, '')`.execute(db);
  };
}

/** The LISTEN session, for `onSession` and `beforeClose`. */
export interface NotifySession {
  query(text: string): Promise<{ rows: unknown[] }>;
}

export interface NotifyConnectionOptions {
  connectionString: string;
  /** The channels to LISTEN on, each with what to call with a notification's payload. */
  channels: Record<string, (payload: string) => void>;
  /** Called after every (re)connection: notifications sent while disconnected were lost. */
  onReconnect: () => void;
  /** Called when the connection drops (it reconnects by itself). */
  onLost?: (() => void) | undefined;
  /**
   * Called when the probe showed that notifications cannot arrive here (a pooler in
   * transaction mode): the connection is closed for good.
   */
  onUnavailable?: ((reason: string) => void) | undefined;
  logger: NotifyLogger;
  /**
   * Sends a NOTIFY on `channel` the way the app's writes send theirs (through the pool).
   * After each LISTEN the connection checks that it arrives: through a pooler in
   * transaction mode it does not (LISTEN needs a session), and the connection gives up.
   */
  probe?: ((channel: string) => Promise<void>) | undefined;
  /** How long the probe's notification may take. Default 3 s. */
  probeTimeoutMs?: number | undefined;
  /** Run on the session after each LISTEN (e.g. to say that it listens); a failure counts as a lost connection. */
  onSession?: ((session: NotifySession) => Promise<void>) | undefined;
  /** Run on the session before `close()` ends it. */
  beforeClose?: ((session: NotifySession) => Promise<void>) | undefined;
  /** Shown in `pg_stat_activity.application_name`. */
  applicationName?: string | undefined;
  /** What to tell the reader when notifications are lost or unavailable, e.g. "the worker polls meanwhile". */
  fallback?: { lost: string; unavailable: string } | undefined;
}

/**
 * Holds one dedicated connection that LISTENs on some channels. A pool cannot do this:
 * LISTEN belongs to a session (nor can a pooler in transaction mode such as PgBouncer: the
 * probe finds that out, and the connection stops). When the connection drops (server
 * restart, `pg_terminate_backend`) it reconnects with backoff (0.1 s doubling to 5 s).
 */
export class NotifyConnection {
  readonly #options: NotifyConnectionOptions;
  #client: pg.Client | null = null;
  #closed = false;
  #retryDelayMs = 100;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(options: NotifyConnectionOptions) {
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

  /** Runs a query on the LISTEN session; `null` while it is not connected. */
  async query<R extends Record<string, unknown>>(text: string): Promise<R[] | null> {
    const client = this.#client;
    if (!client) return null;
    return (await client.query<R>(text)).rows;
  }

  /** True once closed, by `close()` or because notifications cannot arrive (see `probe`). */
  get closed(): boolean {
    return this.#closed;
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    const { channels } = this.#options;
    const client = new pg.Client({
      connectionString: this.#options.connectionString,
      keepAlive: true,
      application_name: this.#options.applicationName,
    });
    let failed = false;
    const onLost = (error?: Error) => {
      if (failed) return;
      failed = true;
      const wasConnected = this.#client === client;
      if (wasConnected) this.#client = null;
      client.removeAllListeners("notification");
      void client.end().catch(() => undefined);
      if (this.#closed) return;
      this.#options.logger.warn(`notification connection lost; ${this.#options.fallback?.lost ?? "reconnecting"}`, {
        error: error?.message,
        retryInMs: this.#retryDelayMs,
      });
      if (wasConnected) this.#options.onLost?.();
      this.#scheduleReconnect();
    };
    client.on("error", onLost);
    client.on("end", () => onLost());
    client.on("notification", (msg) => {
      if (Object.hasOwn(channels, msg.channel)) channels[msg.channel]!(msg.payload ?? "");
    });
    let probed: boolean;
    try {
      await client.connect();
      for (const channel of Object.keys(channels)) await client.query(`LISTEN ${channel}`);
      await this.#options.onSession?.(client);
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
        const reason =
          "a NOTIFY sent through the pool did not reach the LISTEN connection: is the url a pooler in transaction mode (PgBouncer)? " +
          (this.#options.fallback?.unavailable ?? "Set the backend's listenUrl to a direct connection to Postgres");
        this.#options.logger.warn(reason, { waitedMs: this.#options.probeTimeoutMs ?? PROBE_TIMEOUT_MS });
        this.#options.onUnavailable?.(reason);
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
      await this.#options.beforeClose?.(client).catch(() => undefined);
      await client.end().catch(() => undefined);
    }
  }
}
