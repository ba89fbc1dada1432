import {
  ERROR_CODES,
  ErrandError,
  isFinishedStatus,
  type Backend,
  type TaskChange,
  type TaskStatus,
} from "@errand/core";
import { toTaskRecordJSON, type TaskRecordJSON } from "./task-record-json";
import { watchHubOf, WatchMember } from "./watch-hub";

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

/** A watched task is refetched at most this often for changes the feed could not list. */
const RESYNC_REFETCH_MS = 250;

function feedLost(): ErrandError {
  return new ErrandError(
    ERROR_CODES.FEED_UNAVAILABLE,
    "The push feed lost its connection to Postgres; reconnect (polling meanwhile).",
  );
}

/**
 * The events of one `watch` subscription, until `signal` aborts (the client left) or the
 * watched task finishes. Joins this process's `WatchHub` of the backend (one feed
 * subscription for every stream) before reading anything, so no change between the first
 * read and the first event is lost. Changes arrive batched, at most every `coalesceMs`.
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
  /** Changes reach the stream at most this often, batched. Default 100 ms. */
  coalesceMs?: number | undefined;
}): AsyncGenerator<TaskWatchEvent, void, undefined> {
  const { backend, input, signal } = options;
  const member = "id" in input ? new WatchMember(null, input.id) : new WatchMember(input, null);
  const leave = await watchHubOf(backend, options.coalesceMs).join(member);
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
        if (isFinishedStatus(task.status)) return;
        // Refetch when a change names this task; for one the feed could not list (it may be
        // this task's), refetch too, but not more often than RESYNC_REFETCH_MS.
        let resyncDue = false;
        for (;;) {
          await member.wait(signal, resyncDue ? Math.max(0, lastFetch + RESYNC_REFETCH_MS - Date.now()) : undefined);
          if (signal?.aborted) return;
          if (member.interrupted) throw feedLost();
          const { touched, resync } = member.take();
          if (touched) break;
          if (resync !== null) resyncDue = true;
          if (resyncDue && Date.now() - lastFetch >= RESYNC_REFETCH_MS) break;
        }
      }
    }
    yield { type: "resync", reason: "subscribed" };
    for (;;) {
      await member.wait(signal);
      if (signal?.aborted) return;
      if (member.interrupted) throw feedLost();
      const { changes, resync } = member.take();
      if (resync !== null) yield { type: "resync", reason: resync };
      else if (changes) yield changes;
    }
  } finally {
    leave();
  }
}
