import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  BaseBackend,
  closeBackends,
  configure,
  getBackend,
  InvalidTask,
  InvalidTaskBackend,
  newTaskRecord,
  task,
  type EnqueueRequest,
  type TaskRecord,
} from "@errand/core";
import { createTestDatabase, describeBackendConformance, type TestDatabase } from "@errand/core/testing";
import { LoggingBackend } from "./fixtures/logging-backend";

// django-tasks' tests/test_custom_backend.py, translated: a backend class of the app's own
// is configured like a built-in, gets its options, and its capability flags decide what
// `using()` may ask.

/** Django's CustomBackend: only `enqueue`, which logs with the configured prefix; no flags on. */
class PrefixBackend extends BaseBackend<{ prefix?: string }> {
  readonly logged: string[] = [];
  async enqueue(request: EnqueueRequest): Promise<TaskRecord> {
    this.logged.push(`${this.options.prefix ?? ""}Task enqueued.`);
    return newTaskRecord(request, {
      id: crypto.randomUUID(),
      backend: this.alias,
      enqueuedAt: new Date(),
      runAfter: new Date(),
    });
  }
}

/** Django's CustomBackendNoEnqueue: the abstract method left out (TypeScript would refuse `new`). */
// @ts-expect-error -- deliberately missing enqueue(), as a JavaScript app could write it
class NoEnqueueBackend extends BaseBackend {}

/** A backend stored in a Map: another engine entirely, made by a factory. */
function mapBackend(alias: string, options: { queues?: string[] }) {
  const rows = new Map<string, TaskRecord>();
  return new (class MapBackend extends BaseBackend {
    override readonly supportsDefer = true;
    override readonly supportsPriority = true;
    override readonly supportsGetResult = true;
    async enqueue(request: EnqueueRequest): Promise<TaskRecord> {
      const now = new Date();
      const record = newTaskRecord(request, {
        id: crypto.randomUUID(),
        backend: this.alias,
        enqueuedAt: now,
        runAfter: request.runAfter ?? now,
      });
      rows.set(record.id, record);
      return record;
    }
    override async getRecord(id: string): Promise<TaskRecord> {
      const record = rows.get(id);
      if (!record) throw new (await import("@errand/core")).TaskResultDoesNotExist(id);
      return record;
    }
  })(alias, options);
}

const noop = task({ name: "custom.noop" }, async () => undefined);
const noopSync = task({ name: "custom.noopSync" }, (n: number) => n + 1);

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
  configure({
    backends: {
      default: { backend: PrefixBackend, prefix: "PREFIX: " },
      db: { backend: "database", url: tdb.url },
      logged: { backend: LoggingBackend, prefix: "[jobs] ", to: "db" },
      mapped: { backend: mapBackend },
      no_enqueue: { backend: NoEnqueueBackend },
      fake: { backend: "dummy" },
      inline: { backend: "immediate" },
    },
  });
});
afterAll(async () => {
  await closeBackends();
  await tdb?.drop();
});

describe("a custom backend (django-tasks test_custom_backend)", () => {
  it("is the backend configured, with its alias and options", () => {
    const backend = getBackend();
    expect(backend).toBeInstanceOf(PrefixBackend);
    expect(backend).toBe(getBackend("default"));
    expect(backend.alias).toBe("default");
    expect((backend as PrefixBackend).options).toEqual({ prefix: "PREFIX: " });
    expect(backend.kind).toBe("PrefixBackend");
  });

  it("refuses an async task when it does not support them", () => {
    const backend = getBackend() as PrefixBackend;
    vi.spyOn(backend, "supportsAsyncTask", "get").mockReturnValue(false);
    try {
      expect(() => noop.using({ queueName: "default" })).toThrow(InvalidTask);
      expect(() => noop.using({ queueName: "default" })).toThrow(
        'Backend "default" (PrefixBackend) does not support async tasks (supportsAsyncTask is false)',
      );
      // A synchronous function is fine.
      expect(() => noopSync.using({ queueName: "default" })).not.toThrow();
    } finally {
      vi.restoreAllMocks();
    }
  });

  it("refuses a priority when it does not support priority", () => {
    expect(() => noop.using({ priority: 10 })).toThrow(
      'Backend "default" (PrefixBackend) does not support priority (supportsPriority is false): leave priority at 0.',
    );
  });

  it("refuses runAfter/delay when it cannot defer", () => {
    expect(() => noop.using({ delay: { seconds: 5 } })).toThrow(
      /PrefixBackend\) cannot defer tasks \(supportsDefer is false\)/,
    );
  });

  it("gets its options: enqueue logs with the prefix", async () => {
    const backend = getBackend() as PrefixBackend;
    const result = await noop.enqueue();
    expect(result.status).toBe("PENDING");
    expect(result.backend).toBe("default");
    expect(backend.logged).toEqual(["PREFIX: Task enqueued."]);
  });

  it("says when it cannot fetch results", async () => {
    const result = await noop.enqueue();
    await expect(noop.getResult(result.id)).rejects.toThrow(
      'Backend "default" (PrefixBackend) cannot fetch results (supportsGetResult is false)',
    );
    await expect(getBackend().getResult(result.id)).rejects.toMatchObject({ code: "NOT_SUPPORTED" });
    await expect(getBackend().list()).rejects.toThrow('Backend "default" (PrefixBackend) does not support list()');
  });

  it("without enqueue is refused when it is made, naming what is missing", () => {
    expect(() => noop.using({ backend: "no_enqueue" })).toThrow(InvalidTaskBackend);
    expect(() => getBackend("no_enqueue")).toThrow(
      'Backend "no_enqueue" (NoEnqueueBackend) does not implement enqueue(): extend BaseBackend from @errand/core and implement enqueue().',
    );
  });

  it("is refused when it is neither a built-in name nor a class", () => {
    expect(() => configure({ backends: { default: { backend: "redis" as "dummy" } } })).toThrow(
      'configure(): backends.default.backend must be "database", "immediate", "dummy" or a backend class (extend BaseBackend), got "redis".',
    );
    expect(() => configure({ backends: { default: { backend: "redis" as "dummy" } } })).toThrow(InvalidTaskBackend);
  });
});

describe("the logging backend of the README", () => {
  it("logs and delegates: enqueue() and getResult() go through it to the database", async () => {
    const logged = getBackend("logged") as LoggingBackend;
    const info = vi.spyOn(console, "info").mockImplementation(() => undefined);
    try {
      const result = await noopSync.using({ backend: "logged", priority: 3, delay: { minutes: 5 } }).enqueue(41);
      expect(result.backend).toBe("logged");
      expect(info).toHaveBeenCalledWith("[jobs] Task enqueued: custom.noopSync");
      const found = await noopSync.using({ backend: "logged" }).getResult(result.id);
      expect(found.args).toEqual([41]);
      expect(found.priority).toBe(3);
      expect(found.backend).toBe("logged");
      // It really is in the database backend's table.
      expect((await getBackend("db").getRecord(result.id)).taskName).toBe("custom.noopSync");
      expect(logged.lines).toContain("[jobs] Task enqueued: custom.noopSync");
    } finally {
      info.mockRestore();
    }
  });

  it("a factory makes a backend too", async () => {
    const result = await noopSync.using({ backend: "mapped", priority: 5 }).enqueue(1);
    expect((await noopSync.using({ backend: "mapped" }).getResult(result.id)).priority).toBe(5);
  });
});

// The exported suite, run here against every built-in and the custom ones.
describeBackendConformance("database", { create: () => getBackend("db") }, { describe, it });
describeBackendConformance("dummy", { create: () => getBackend("fake") }, { describe, it });
describeBackendConformance("immediate", { create: () => getBackend("inline"), runsAtEnqueue: true }, { describe, it });
describeBackendConformance("LoggingBackend", { create: () => getBackend("logged") }, { describe, it });
describeBackendConformance("a factory's MapBackend", { create: () => getBackend("mapped") }, { describe, it });
describeBackendConformance(
  "PrefixBackend (no getResult, no defer)",
  { create: () => getBackend("default") },
  { describe, it },
);
