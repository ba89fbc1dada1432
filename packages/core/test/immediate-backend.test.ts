import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  closeBackends,
  configure,
  getBackend,
  ImmediateBackend,
  InvalidTaskBackend,
  task,
  taskEvents,
  TaskResultDoesNotExist,
  type TaskEvent,
} from "@errand/core";
import { MemoryTaskStore } from "@errand/core/internal";
import { enqueueRequest } from "@errand/core/testing";

beforeAll(() => {
  configure({
    backends: {
      default: { backend: "immediate" },
      small: { backend: "immediate", maxResults: 3 },
    },
  });
});
afterAll(() => closeBackends());

const echo = task({ name: "immediate.echo" }, async (n: number) => n);
const boom = task({ name: "immediate.boom" }, async () => {
  throw new Error("boom");
});
const fanOut = task({ name: "immediate.fanOut" }, async (n: number, backend: string) => {
  for (let i = 0; i < n; i++) await echo.using({ backend }).enqueue(100 + i);
  return n;
});

describe("the immediate backend's results", () => {
  it("keep the last 10,000 finished by default, so a long-running process does not grow without bound", async () => {
    const results = [];
    for (let i = 0; i < 10_050; i++) results.push(await echo.enqueue(i));
    const stats = await getBackend().stats();
    expect(stats.byStatus.SUCCESSFUL).toBe(10_000);
    await expect(getBackend().getResult(results[49]!.id)).rejects.toThrow(TaskResultDoesNotExist);
    expect((await echo.getResult(results[50]!.id)).returnValue).toBe(50);
    expect((await echo.getResult(results[10_049]!.id)).returnValue).toBe(10_049);
  });

  it("keep maxResults, forgetting the one that finished longest ago; failures count too", async () => {
    const small = echo.using({ backend: "small" });
    const first = await small.enqueue(1);
    const failed = await boom.using({ backend: "small" }).enqueue();
    const third = await small.enqueue(3);
    expect((await getBackend("small").list()).items).toHaveLength(3);
    const fourth = await small.enqueue(4);
    const ids = (await getBackend("small").list()).items.map((r) => r.id);
    expect(ids).toEqual([fourth.id, third.id, failed.id]);
    await expect(first.refresh()).rejects.toThrow(TaskResultDoesNotExist);
    expect((await getBackend("small").getResult(failed.id)).status).toBe("FAILED");
  });

  it("never forget a task still running: the one that enqueued others is kept and stored when it finishes", async () => {
    const outer = await fanOut.using({ backend: "small" }).enqueue(5, "small");
    expect(outer.status).toBe("SUCCESSFUL");
    const kept = (await getBackend("small").list()).items.map((r) => r.args[0]);
    // The outer task finished last (after its five inner tasks), so it is kept with the two
    // inner ones that finished last (the list is newest enqueued first).
    expect(kept).toEqual([104, 103, 5]);
    expect((await fanOut.using({ backend: "small" }).getResult(outer.id)).returnValue).toBe(5);
  });

  it("refuse a maxResults that is not a whole number ≥ 1, in configure() and when made directly", () => {
    for (const maxResults of [-1, 0, 1.5, Number.NaN, Infinity]) {
      expect(() => configure({ backends: { bad: { backend: "immediate", maxResults } } })).toThrow(InvalidTaskBackend);
      expect(() => new ImmediateBackend("bad", { backend: "immediate", maxResults })).toThrow(InvalidTaskBackend);
    }
    expect(() => configure({ backends: { bad: { backend: "immediate", maxResults: Infinity } } })).toThrow(
      "configure(): backends.bad.maxResults must be a positive integer, got Infinity.",
    );
    configure({ backends: { default: { backend: "immediate" } } });
  });
});

describe("the immediate backend's events", () => {
  it("are enqueued (PENDING), started, finished, for a failure too, with the backend's alias", async () => {
    configure({ backends: { default: { backend: "immediate" } } });
    const seen: string[] = [];
    const on =
      (name: string) =>
      ({ record, backend }: TaskEvent) =>
        seen.push(`${name}:${backend}:${record.status}:${record.errors.length}`);
    const listeners = { enqueued: on("enqueued"), started: on("started"), finished: on("finished") };
    for (const [name, fn] of Object.entries(listeners)) taskEvents.on(name as "enqueued", fn);
    try {
      await boom.enqueue();
    } finally {
      for (const [name, fn] of Object.entries(listeners)) taskEvents.off(name as "enqueued", fn);
    }
    expect(seen).toEqual(["enqueued:default:PENDING:0", "started:default:RUNNING:0", "finished:default:FAILED:1"]);
  });
});

describe("MemoryTaskStore({ maxFinished })", () => {
  it("counts a task finished when it fails for good or is cancelled, and not once retried", async () => {
    const store = new MemoryTaskStore({ maxFinished: 1 });
    const [a, b, c] = await store.taskInsert({
      backend: "default",
      tasks: [enqueueRequest({ args: ["a"] }), enqueueRequest({ args: ["b"] }), enqueueRequest({ args: ["c"] })],
    });
    await store.taskCancel({ id: a!.id });
    expect(store.size).toBe(3);
    await store.taskCancel({ id: b!.id });
    // a finished longest ago: forgotten.
    expect(await store.taskGet({ id: a!.id })).toBeUndefined();
    expect(store.size).toBe(2);
    // b retried is PENDING again, so no longer counted: cancelling c keeps both.
    await store.taskRetry({ id: b!.id });
    await store.taskCancel({ id: c!.id });
    expect(store.size).toBe(2);
    expect((await store.taskGet({ id: b!.id }))?.status).toBe("PENDING");
  });
});
