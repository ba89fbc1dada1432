import {
  ERROR_CODES,
  ErrandError,
  type Backend,
  type TaskChange,
  type TaskChangeEvent,
  type TaskStatus,
} from "@errand/core";
import { toTaskRecordJSON, type TaskRecordJSON } from "./task-record-json";

/** What `watch` follows: one task by id, or every task matching the filters (none: all). */
export type WatchInput =
  { id: string } | { status?: TaskStatus | undefined; queueName?: string | undefined; taskName?: string | undefined };

/**
 * What `watch` sends.
 * - `task` (watching an id): the task as stored now — first on subscribing, then after each
 *   change. The stream ends once the task is SUCCESSFUL or FAILED.
 * - `changes` (watching filters): tasks that changed, with their status before and after.
 * - `resync` (watching filters): refetch what you show — sent first (`subscribed`), and when
 *   the feed cannot list what changed (`overflow`, `deleted`, `reconnected`).
 */
export type TaskWatchEvent =
  | { type: "task"; task: TaskRecordJSON }
  | { type: "changes"; changes: TaskChange[] }
  | { type: "resync"; reason: "subscribed" | "overflow" | "deleted" | "reconnected" };

/** Changes kept for a subscriber that reads slowly; past this they become one `resync`. */
const MAX_BUFFERED_CHANGES = 1000;
/** A watched task is refetched at most this often for changes the feed could not list. */
const RESYNC_REFETCH_MS = 250;

/**
 * Bridges the backend's push feed (callbacks, shared by every subscriber of this process) to
 * one subscriber's async generator: events are buffered between reads, coalesced when they
 * pile up, and the wait ends when the subscriber leaves (`signal`).
 */
class ChangeInbox {
  changes: TaskChange[] = [];
  resync: Extract<TaskWatchEvent, { type: "resync" }>["reason"] | null = null;
  interrupted = false;
  #wake: (() => void) | null = null;

  readonly push = (event: TaskChangeEvent): void => {
    if (event.type === "interrupted") this.interrupted = true;
    else if (event.type === "resync") this.resync = event.reason;
    else if (this.changes.length + event.changes.length > MAX_BUFFERED_CHANGES) {
      this.changes = [];
      this.resync = "overflow";
    } else this.changes.push(...event.changes);
    this.#wake?.();
  };

  get empty(): boolean {
    return this.changes.length === 0 && this.resync === null && !this.interrupted;
  }

  /** Resolves when an event arrives, after `timeoutMs`, or when `signal` aborts. */
  wait(signal: AbortSignal | undefined, timeoutMs?: number): Promise<void> {
    if (!this.empty || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.#wake = null;
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = timeoutMs === undefined ? undefined : setTimeout(done, timeoutMs);
      this.#wake = done;
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  /** Takes what arrived; throws if the feed dropped (the client polls, and reconnects). */
  take(): { changes: TaskChange[]; resync: ChangeInbox["resync"] } {
    if (this.interrupted) {
      throw new ErrandError(
        ERROR_CODES.FEED_UNAVAILABLE,
        "The push feed lost its connection to Postgres; reconnect (polling meanwhile).",
      );
    }
    const taken = { changes: this.changes, resync: this.resync };
    this.changes = [];
    this.resync = null;
    return taken;
  }
}

function matches(change: TaskChange, filters: Exclude<WatchInput, { id: string }>): boolean {
  if (filters.queueName !== undefined && change.queueName !== filters.queueName) return false;
  if (filters.taskName !== undefined && change.taskName !== filters.taskName) return false;
  // A task leaving the status is news too: it drops out of that list.
  if (filters.status !== undefined && change.status !== filters.status && change.previousStatus !== filters.status) {
    return false;
  }
  return true;
}

/**
 * The events of one `watch` subscription, until `signal` aborts (the client left) or the
 * watched task finishes. Subscribes to the backend's feed before reading anything, so no
 * change between the first read and the first event is lost.
 *
 * @example
 * for await (const event of watchTasks({ backend, input: { id }, signal })) send(event);
 */
export async function* watchTasks(options: {
  backend: Backend;
  input: WatchInput;
  signal?: AbortSignal | undefined;
  /** Checked for each task before it is sent (the caller's `authorize`); throw to refuse. */
  check?: ((record: TaskRecordJSON) => void) | undefined;
}): AsyncGenerator<TaskWatchEvent, void, undefined> {
  const { backend, input, signal } = options;
  const inbox = new ChangeInbox();
  const unsubscribe = await backend.watchChanges(inbox.push);
  try {
    if ("id" in input) {
      let lastText = "";
      for (;;) {
        const lastFetch = Date.now();
        const task = toTaskRecordJSON(await backend.getRecord(input.id));
        options.check?.(task);
        const text = JSON.stringify(task);
        if (text !== lastText) {
          lastText = text;
          yield { type: "task", task };
        }
        if (task.status === "SUCCESSFUL" || task.status === "FAILED") return;
        // Refetch when a change names this task; for one the feed could not list (it may be
        // this task's), refetch too, but not more often than RESYNC_REFETCH_MS.
        let resyncDue = false;
        for (;;) {
          await inbox.wait(signal, resyncDue ? Math.max(0, lastFetch + RESYNC_REFETCH_MS - Date.now()) : undefined);
          if (signal?.aborted) return;
          const { changes, resync } = inbox.take();
          if (changes.some((change) => change.id === task.id)) break;
          if (resync !== null) resyncDue = true;
          if (resyncDue && Date.now() - lastFetch >= RESYNC_REFETCH_MS) break;
        }
      }
    }
    yield { type: "resync", reason: "subscribed" };
    for (;;) {
      await inbox.wait(signal);
      if (signal?.aborted) return;
      const { changes, resync } = inbox.take();
      if (resync !== null) yield { type: "resync", reason: resync };
      else {
        const matching = changes.filter((change) => matches(change, input));
        if (matching.length > 0) yield { type: "changes", changes: matching };
      }
    }
  } finally {
    unsubscribe();
  }
}
