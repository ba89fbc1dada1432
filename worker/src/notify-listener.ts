import type { Kysely } from "kysely";
import { ENQUEUE_CHANNEL } from "@errand/db";
import { NotifyConnection, probeThrough } from "@errand/core/internal";
import type { Logger } from "./logger";

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
    probe: probeThrough(db),
  });
  await listener.start();
  return listener;
}

/**
 * Holds one dedicated connection that LISTENs on `errand_tasks`, so an idle worker wakes
 * within a millisecond or so of an enqueue instead of at its next poll. When the connection
 * drops it reconnects with backoff (0.1 s doubling to 5 s); meanwhile the worker's polling
 * covers for it. Through a pooler in transaction mode the probe fails and the worker polls.
 */
export class NotifyListener extends NotifyConnection {
  constructor(options: NotifyListenerOptions) {
    super({
      connectionString: options.connectionString,
      channels: { ...options.channels, [ENQUEUE_CHANNEL]: options.onNotify },
      onReconnect: options.onReconnect,
      logger: options.logger,
      probe: options.probe,
      probeTimeoutMs: options.probeTimeoutMs,
      applicationName: "errand-worker",
      fallback: {
        lost: "polling until it is back",
        unavailable:
          "Set the backend's listenUrl (or --listen-url) to a direct connection to Postgres. Polling every --interval meanwhile",
      },
    });
  }
}
