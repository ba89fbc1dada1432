import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeBackends, configure, getBackend, InvalidConfig, InvalidTask, task, type ErrandError } from "@errand/core";
import { validateQueueSettings } from "@errand/core/internal";
import { createTestDatabase, type TestDatabase } from "@errand/core/testing";

// Flow control through the public API, on every backend: pause/resume, queues(), bulk
// retry and cancel, concurrency keys at enqueue, and the `queues` setting's checks.
const kinds = [
  { alias: "db", runsAtEnqueue: false },
  { alias: "fake", runsAtEnqueue: false },
  { alias: "inline", runsAtEnqueue: true },
] as const;

const queueSettings = { "flow-limited": { concurrency: 2, rateLimit: { limit: 10, periodSeconds: 1 } } };

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
  configure({
    backends: {
      default: { backend: "dummy" },
      db: { backend: "database", url: tdb.url },
      fake: { backend: "dummy" },
      inline: { backend: "immediate" },
    },
    queues: queueSettings,
  });
});
afterAll(async () => {
  await closeBackends();
  await tdb?.drop();
});

const sync = task(
  { name: "flow.sync", queueName: "flow-q", concurrencyKey: (id: string) => `customer:${id}`, concurrencyLimit: 2 },
  async (id: string) => id,
);
const throwingKey = task(
  {
    name: "flow.throwingKey",
    concurrencyKey: () => {
      throw new Error("no key today");
    },
  },
  async () => null,
);
const numberKey = task(
  { name: "flow.numberKey", concurrencyKey: (n: number) => n as unknown as string },
  async (n: number) => n,
);
const fails = task({ name: "flow.fails", queueName: "flow-f" }, async () => {
  throw new Error("down");
});

describe.each(kinds)("backend $alias", ({ alias, runsAtEnqueue }) => {
  it("stores the concurrency key computed at enqueue, with its limit", async () => {
    const r = await sync.using({ backend: alias }).enqueue("42");
    const record = await getBackend(alias).getRecord(r.id);
    expect(record).toMatchObject({ concurrencyKey: "customer:42", concurrencyLimit: 2 });
  });

  it("refuses an enqueue whose key function throws or returns a non-string, and stores nothing", async () => {
    const before = (await getBackend(alias).list({ limit: 500 })).items.length;
    const thrown = await throwingKey
      .using({ backend: alias })
      .enqueue()
      .catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(InvalidTask);
    expect((thrown as Error).message).toMatch(/concurrencyKey threw.*no key today.*nothing was stored/);
    await expect(numberKey.using({ backend: alias }).enqueue(7)).rejects.toThrow(
      /concurrencyKey must return a non-empty string.*got 7/,
    );
    expect((await getBackend(alias).list({ limit: 500 })).items.length).toBe(before);
  });

  it("pauses and resumes a queue, persisted and listed with its configured limits", async () => {
    const backend = getBackend(alias);
    await backend.pauseQueue("flow-limited");
    let queues = await backend.queues();
    expect(queues.find((q) => q.name === "flow-limited")).toMatchObject({
      paused: true,
      concurrency: 2,
      rateLimit: { limit: 10, periodSeconds: 1 },
    });
    await backend.resumeQueue("flow-limited");
    queues = await backend.queues();
    expect(queues.find((q) => q.name === "flow-limited")?.paused).toBe(false);
    // The queue name rule of every option (QUEUE_NAME_RULE), in its words.
    await expect(backend.pauseQueue("")).rejects.toMatchObject({
      name: "InvalidArgument",
      code: "INVALID_ARGUMENT",
      message: 'pauseQueue(name): name must be a string of 1 to 32 characters, got "".',
    });
    await expect(backend.resumeQueue("q".repeat(33))).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      message: `resumeQueue(name): name must be a string of 1 to 32 characters, got "${"q".repeat(33)}".`,
    });
  });

  it("retries FAILED and cancels PENDING tasks in bulk, answering how many", async () => {
    const backend = getBackend(alias);
    if (runsAtEnqueue) {
      await fails.using({ backend: alias }).enqueueMany([[], [], []]);
      expect(await backend.retryMany({ status: "FAILED", queueName: "flow-f" })).toBe(3);
      // Retried tasks run again at once, and fail again.
      expect((await backend.list({ queueName: "flow-f", status: "PENDING" })).items).toEqual([]);
    } else {
      await fails.using({ backend: alias }).enqueueMany([[], [], []]);
      expect(await backend.cancelMany({ status: "PENDING", taskName: "flow.fails" })).toBe(3);
      expect(await backend.retryMany({ status: "FAILED", queueName: "flow-f" })).toBe(3);
      expect(await backend.cancelMany({ taskName: "flow.fails" })).toBe(3);
    }
    await expect(backend.retryMany({ status: "PENDING" })).rejects.toThrow(/retries FAILED tasks only/);
    await expect(backend.cancelMany({ status: "RUNNING" })).rejects.toThrow(/cancels PENDING tasks only/);
  });
});

describe("the immediate backend", () => {
  it("runs a task of a paused queue at once (flow control does not apply to it)", async () => {
    const backend = getBackend("inline");
    await backend.pauseQueue("flow-q");
    const r = await sync.using({ backend: "inline" }).enqueue("7");
    expect(r.status).toBe("SUCCESSFUL");
    await backend.resumeQueue("flow-q");
  });
});

describe("the queues setting", () => {
  it.each([
    [
      { email: { concurency: 5 } },
      'configure(): unknown option "queues.email.concurency"; queues.email takes concurrency, rateLimit.',
    ],
    [{ email: { concurrency: -1 } }, "configure(): queues.email.concurrency must be a positive integer, got -1."],
    [{ email: { concurrency: 1.5 } }, "configure(): queues.email.concurrency must be a positive integer, got 1.5."],
    [
      { email: { rateLimit: { limit: 10, periodSeconds: 0 } } },
      "configure(): queues.email.rateLimit.periodSeconds must be a positive whole number of seconds, got 0.",
    ],
    [
      { email: { rateLimit: { limit: 10 } } },
      "configure(): queues.email.rateLimit.periodSeconds must be a positive whole number of seconds, got undefined.",
    ],
    [
      { email: { rateLimit: { limit: 10, periodSeconds: 1, burst: 2 } } },
      'configure(): unknown option "queues.email.rateLimit.burst"; queues.email.rateLimit takes limit, periodSeconds.',
    ],
    [{ email: 5 }, "configure(): queues.email must be an object { concurrency, rateLimit }, got 5."],
    [
      ["email"],
      'configure(): queues must be an object of queue names, e.g. { email: { concurrency: 5 } }, got ["email"].',
    ],
    [
      { ["x".repeat(33)]: {} },
      /^configure\(\): queues has "x+", which is not a name: names must be a string of 1 to 32 characters\.$/,
    ],
  ])("refuses %j, naming the setting", (queues, message) => {
    expect(() => validateQueueSettings(queues)).toThrow(message);
    const error = (() => {
      try {
        configure({ backends: { default: { backend: "dummy" } }, queues: queues as never });
      } catch (e) {
        return e as ErrandError;
      }
    })();
    expect(error).toBeInstanceOf(InvalidConfig);
    expect(error?.code).toBe("INVALID_CONFIG");
    expect((error as InvalidConfig).setting).toMatch(/^queues/);
  });

  it("keeps the previous configuration when the new one is refused", async () => {
    expect((await getBackend("fake").queues()).find((q) => q.name === "flow-limited")?.concurrency).toBe(2);
  });
});
