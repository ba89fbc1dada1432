import { FEED_LISTENER_EXPIRY_SECONDS, TASK_CHANGES_CHANNEL, type TaskStatus } from "@errand/db";
import { ERROR_CODES, ErrandError } from "../errors";
import { LocalChangeFeed } from "./local-change-feed";
import { NotifyConnection, type NotifyLogger } from "./notify-connection";
import type { TaskChange, TaskChangeListener, Unsubscribe } from "./task-change";

/** Where the feed LISTENs, and how it checks that notifications sent through the pool arrive. */
export interface TaskChangeFeedTarget {
  /** A direct connection to Postgres; `false`: the backend is configured not to LISTEN. */
  listenUrl: string | false;
  /** Sends a NOTIFY on `channel` through the app's pool. */
  probe: (channel: string) => Promise<void>;
}

export interface TaskChangeFeedOptions {
  /** Resolved on the first subscription (the backend connects then). */
  target: () => Promise<TaskChangeFeedTarget>;
  logger?: NotifyLogger | undefined;
  /** How long the connection stays open after the last subscriber leaves. Default 30 s. */
  lingerMs?: number | undefined;
  /** How often the sequence that big statements bump is read. Default 250 ms. */
  sequenceIntervalMs?: number | undefined;
  /**
   * How often the feed's mark in `errand_feed_listeners` is refreshed (the triggers ignore one
   * older than `FEED_LISTENER_EXPIRY_SECONDS`). Default a third of that.
   */
  markRefreshMs?: number | undefined;
}

/** When the triggers stop trusting a feed's mark in `errand_feed_listeners` (migration 0005), and how often a feed refreshes it. */
const MARK_EXPIRY_MS = FEED_LISTENER_EXPIRY_SECONDS * 1000;
const MARK_REFRESH_MS = MARK_EXPIRY_MS / 3;

/** Where `errand_task_changes_seq` stands, as one comparable string. */
const SEQUENCE_VALUE = `SELECT last_value::text || ':' || is_called AS value FROM errand_task_changes_seq`;

const consoleLogger: NotifyLogger = {
  info: () => undefined,
  warn: (message, fields) => console.warn(`errand: ${message}`, fields ?? ""),
};

/**
 * The database backend's push feed: ONE connection LISTENing on `errand_task_changes` per
 * backend in this process, however many subscribers (browsers) there are. The table's
 * triggers (migration 0005) send each small statement's changes as they are committed; the
 * feed parses them once and hands them to every subscriber. A statement of more than
 * `MAX_LISTED_CHANGES` (`@errand/db`) changes bumps a sequence instead, which the feed reads
 * every `sequenceIntervalMs` (250 ms): when it moved, the subscribers get a `resync`, and once
 * more at the next read (the bump precedes its commit).
 * Opened on the first subscription, closed `lingerMs` after the last one leaves.
 */
export class TaskChangeFeed {
  readonly #options: TaskChangeFeedOptions;
  readonly #subscribers = new LocalChangeFeed();
  #connection: NotifyConnection | null = null;
  #opening: Promise<NotifyConnection> | null = null;
  #unavailable: string | null = null;
  #lingerTimer: ReturnType<typeof setTimeout> | null = null;
  #sequenceTimer: ReturnType<typeof setInterval> | null = null;
  #sequence: string | null = null;
  #echo = false;
  #reading = false;
  #markedAt = 0;

  constructor(options: TaskChangeFeedOptions) {
    this.#options = options;
  }

  /** How many subscribers are listening now. */
  get subscriberCount(): number {
    return this.#subscribers.subscriberCount;
  }

  /**
   * Calls `listener` with every change from now on. Resolves once the feed is listening, so
   * that whatever the caller reads next is not older than the first event it will get.
   *
   * @throws ErrandError `NOT_SUPPORTED` when this backend cannot LISTEN (`listenUrl: false`, a
   *   pooler in transaction mode); `FEED_UNAVAILABLE` while the database cannot be reached.
   */
  async subscribe(listener: TaskChangeListener): Promise<Unsubscribe> {
    if (this.#unavailable) throw new ErrandError(ERROR_CODES.NOT_SUPPORTED, this.#unavailable);
    if (this.#lingerTimer) clearTimeout(this.#lingerTimer);
    this.#lingerTimer = null;
    const leave = this.#subscribers.subscribe(listener);
    let left = false;
    const unsubscribe = () => {
      if (left) return;
      left = true;
      leave();
      if (this.#subscribers.subscriberCount > 0) return;
      this.#lingerTimer = setTimeout(() => void this.close(), this.#options.lingerMs ?? 30_000);
      this.#lingerTimer.unref();
    };
    try {
      const connection = await this.#open();
      if (this.#unavailable) throw new ErrandError(ERROR_CODES.NOT_SUPPORTED, this.#unavailable);
      if (!connection.connected) {
        throw new ErrandError(
          ERROR_CODES.FEED_UNAVAILABLE,
          "The push feed cannot reach Postgres right now; it keeps trying. Poll meanwhile.",
        );
      }
    } catch (error) {
      unsubscribe();
      throw error;
    }
    return unsubscribe;
  }

  #open(): Promise<NotifyConnection> {
    if (this.#connection && !this.#connection.closed) return Promise.resolve(this.#connection);
    this.#opening ??= (async () => {
      const logger = this.#options.logger ?? consoleLogger;
      const target = await this.#options.target();
      if (target.listenUrl === false) {
        this.#unavailable =
          "This backend's listenUrl is false, so there is no push feed: poll instead, or set listenUrl to a direct connection to Postgres.";
      }
      const connection = new NotifyConnection({
        connectionString: target.listenUrl || "",
        channels: { [TASK_CHANGES_CHANNEL]: (payload) => this.#receive(payload) },
        // The first connection is not a reconnection: nothing was missed before it.
        onReconnect: () => {
          if (this.#connection === connection) this.#subscribers.emit({ type: "resync", reason: "reconnected" });
        },
        onLost: () => this.#subscribers.emit({ type: "interrupted" }),
        onUnavailable: (reason) => {
          this.#unavailable = `No push feed: ${reason}.`;
          this.#subscribers.emit({ type: "interrupted" });
        },
        logger,
        // The triggers send only while some feed listens (migration 0005): say so, and clear
        // rows left by feeds whose sessions are gone.
        onSession: async (client) => {
          // Where the sequence stands now: a later move is a big statement after subscribing.
          const read = await client.query(SEQUENCE_VALUE);
          this.#sequence = (read.rows[0] as { value: string } | undefined)?.value ?? null;
          await client.query(
            `DELETE FROM errand_feed_listeners WHERE pid NOT IN (SELECT pid FROM pg_stat_activity WHERE pid IS NOT NULL)`,
          );
          this.#markedAt = Date.now();
          await client.query(
            `INSERT INTO errand_feed_listeners (pid) VALUES (pg_backend_pid())
             ON CONFLICT (pid) DO UPDATE SET seen_at = now()`,
          );
        },
        beforeClose: async (client) => {
          await client.query(`DELETE FROM errand_feed_listeners WHERE pid = pg_backend_pid()`);
        },
        probe: target.probe,
        applicationName: "errand-feed",
        fallback: {
          lost: "push subscribers poll until it is back",
          unavailable: "Set the backend's listenUrl to a direct connection to Postgres; until then the dashboard polls",
        },
      });
      if (!this.#unavailable) await connection.start();
      this.#connection = connection;
      this.#sequenceTimer ??= setInterval(() => void this.#readSequence(), this.#options.sequenceIntervalMs ?? 250);
      this.#sequenceTimer.unref();
      return connection;
    })().finally(() => {
      this.#opening = null;
    });
    return this.#opening;
  }

  /** Big statements bump `errand_task_changes_seq` instead of notifying: a move is a `resync`. */
  async #readSequence(): Promise<void> {
    const connection = this.#connection;
    // Also while lingering with no subscriber: the mark stays fresh for the next one.
    if (!connection?.connected || this.#reading) return;
    this.#reading = true;
    try {
      const rows = await connection.query<{ value: string }>(SEQUENCE_VALUE);
      const value = rows?.[0]?.value;
      if (value === undefined) return;
      // The triggers ignore a mark older than MARK_EXPIRY_MS (its server may have died): refresh
      // it well within. Later than that (this process was stalled), changes may have gone untold.
      const sinceMarked = Date.now() - this.#markedAt;
      if (sinceMarked >= (this.#options.markRefreshMs ?? MARK_REFRESH_MS)) {
        await connection.query(`UPDATE errand_feed_listeners SET seen_at = now() WHERE pid = pg_backend_pid()`);
        this.#markedAt = Date.now();
        if (sinceMarked >= MARK_EXPIRY_MS) this.#echo = true;
      }
      const moved = value !== this.#sequence;
      this.#sequence = value;
      if (moved || this.#echo) this.#subscribers.emit({ type: "resync", reason: "overflow" });
      // The bump precedes its statement's commit: tell once more at the next read.
      this.#echo = moved;
    } catch {
      // The connection is gone; it reconnects (and subscribers get `interrupted`).
    } finally {
      this.#reading = false;
    }
  }

  #receive(payload: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch {
      return;
    }
    const message = parsed as { c?: unknown; resync?: unknown };
    // The triggers' only resync message: a statement of more changes bumps the sequence instead.
    if (message.resync === "deleted") {
      this.#subscribers.emit({ type: "resync", reason: "deleted" });
    } else if (Array.isArray(message.c)) {
      const changes: TaskChange[] = [];
      for (const row of message.c as unknown[]) {
        if (!Array.isArray(row) || row.length < 5) continue;
        const [id, status, previousStatus, queueName, taskName] = row as [
          string,
          TaskStatus,
          TaskStatus | null,
          string,
          string,
        ];
        changes.push({ id, status, previousStatus, queueName, taskName });
      }
      if (changes.length > 0) this.#subscribers.emit({ type: "changes", changes });
    }
  }

  /** Closes the connection; a later subscription opens a new one. */
  async close(): Promise<void> {
    if (this.#lingerTimer) clearTimeout(this.#lingerTimer);
    this.#lingerTimer = null;
    if (this.#sequenceTimer) clearInterval(this.#sequenceTimer);
    this.#sequenceTimer = null;
    this.#sequence = null;
    const connection = this.#connection ?? (this.#opening ? await this.#opening.catch(() => null) : null);
    this.#connection = null;
    if (this.#subscribers.subscriberCount > 0 && connection?.connected) this.#subscribers.emit({ type: "interrupted" });
    await connection?.close();
  }
}
