import { describe, expect, it } from "vitest";
import type { Backend, TaskChange, TaskChangeListener } from "@errand/core";
import { watchTasks, type TaskWatchEvent } from "../src/watch-tasks";
import { watchHubOf } from "../src/watch-hub";

/** The push side of a backend: what its feed would hand to subscribers, sent by the test. */
function feedOnly() {
  const listeners = new Set<TaskChangeListener>();
  let subscriptions = 0;
  const backend = {
    watchChanges: (listener: TaskChangeListener) => {
      subscriptions++;
      listeners.add(listener);
      return Promise.resolve(() => void listeners.delete(listener));
    },
  } as unknown as Backend;
  const change = (id: string, taskName = "t.a"): TaskChange => ({
    id,
    status: "PENDING",
    previousStatus: null,
    queueName: "default",
    taskName,
  });
  return {
    backend,
    listeners,
    subscriptions: () => subscriptions,
    send: (...changes: TaskChange[]) => {
      for (const listener of listeners) listener({ type: "changes", changes });
    },
    change,
  };
}

async function open(backend: Backend, input: Parameters<typeof watchTasks>[0]["input"], coalesceMs?: number) {
  const abort = new AbortController();
  const stream = watchTasks({ backend, input, signal: abort.signal, coalesceMs });
  const first = await stream.next();
  expect(first.value).toEqual({ type: "resync", reason: "subscribed" });
  return { stream, close: async () => (abort.abort(), await stream.return(undefined)) };
}

describe("WatchHub", () => {
  it("coalesces what changed within the interval into one batched event per stream", async () => {
    const feed = feedOnly();
    const { stream, close } = await open(feed.backend, {}, 50);
    for (let i = 0; i < 30; i++) feed.send(feed.change(`task-${i}`));
    const next = (await stream.next()).value as TaskWatchEvent;
    expect(next.type).toBe("changes");
    expect(next.type === "changes" && next.changes.map((c) => c.id)).toEqual(
      Array.from({ length: 30 }, (_, i) => `task-${i}`),
    );
    await close();
  });

  it("subscribes once for all streams, filters once per set of filters and hands each the same event", async () => {
    const feed = feedOnly();
    const streams = await Promise.all(
      Array.from({ length: 20 }, (_, i) => open(feed.backend, i % 2 === 0 ? { taskName: "t.a" } : {}, 20)),
    );
    expect(feed.subscriptions()).toBe(1);
    expect(feed.listeners.size).toBe(1);
    feed.send(feed.change("1", "t.a"), feed.change("2", "t.b"));
    const events = await Promise.all(streams.map(async (s) => (await s.stream.next()).value as TaskWatchEvent));
    const filtered = events.filter((_, i) => i % 2 === 0);
    const all = events.filter((_, i) => i % 2 === 1);
    expect(filtered[0]).toEqual({ type: "changes", changes: [expect.objectContaining({ id: "1" })] });
    expect(all[0]).toMatchObject({ type: "changes", changes: [{ id: "1" }, { id: "2" }] });
    // The very same object: built once for the ten streams of those filters.
    expect(new Set(filtered).size).toBe(1);
    expect(new Set(all).size).toBe(1);
    await Promise.all(streams.map((s) => s.close()));
  });

  it("forgets a stream when it closes, and ends the feed subscription with the last one", async () => {
    const feed = feedOnly();
    const hub = watchHubOf(feed.backend);
    const streams = await Promise.all(Array.from({ length: 50 }, () => open(feed.backend, { status: "FAILED" })));
    expect(hub.size).toBe(50);
    await Promise.all(streams.slice(0, 49).map((s) => s.close()));
    expect(hub.size).toBe(1);
    expect(feed.listeners.size).toBe(1);
    await streams[49]!.close();
    expect(hub.size).toBe(0);
    await expect.poll(() => feed.listeners.size).toBe(0);
    // Nothing gathered for nobody.
    feed.send(feed.change("late"));
    expect(hub.size).toBe(0);
  });

  it("bounds what a stream that does not read holds: past 1,000 changes, one resync", async () => {
    const feed = feedOnly();
    const { stream, close } = await open(feed.backend, {}, 5);
    for (let round = 0; round < 12; round++) {
      feed.send(...Array.from({ length: 100 }, (_, i) => feed.change(`r${round}-${i}`)));
    }
    expect((await stream.next()).value).toEqual({ type: "resync", reason: "overflow" });
    await close();
  });
});
