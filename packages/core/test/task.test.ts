import { afterEach, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import {
  configure,
  InvalidTask,
  InvalidTaskArgumentsError,
  InvalidTaskBackend,
  task,
  type TaskResult,
  type DummyBackend,
  getBackend,
  Repeat,
} from "@errand/core";
import { normalizeJson, unregisterTask } from "@errand/core/internal";

beforeAll(() => {
  configure({
    backends: {
      default: { backend: "dummy" },
      strict: { backend: "dummy", queues: ["default", "email"] },
      inline: { backend: "immediate" },
    },
  });
});
afterEach(() => {
  (getBackend("default") as DummyBackend).clear();
});

describe("task()", () => {
  it("defines a task with defaults and flows argument and return types", async () => {
    const add = task({ name: "types.add" }, async (a: number, b: number) => ({ sum: a + b }));
    expect(add.name).toBe("types.add");
    expect(add.queueName).toBe("default");
    expect(add.priority).toBe(0);
    expect(add.maxAttempts).toBe(25);
    expectTypeOf(add.enqueue).parameters.toEqualTypeOf<[number, number]>();
    expectTypeOf(add.enqueue).returns.resolves.toEqualTypeOf<TaskResult<{ sum: number }>>();
    expectTypeOf(add.call).returns.resolves.toEqualTypeOf<{ sum: number }>();
    const r = await add.enqueue(1, 2);
    expectTypeOf<typeof r.returnValue>().toEqualTypeOf<{ sum: number }>();
    expect(r.status).toBe("PENDING");
    // @ts-expect-error a string is not a number
    await expect(add.enqueue("1", 2)).resolves.toBeDefined();
    expect(await add.call(2, 3)).toEqual({ sum: 5 });
  });

  it("accepts a bare name", () => {
    const t = task("types.bare", () => 1);
    expect(t.name).toBe("types.bare");
  });

  it("throws on a duplicate name with another definition, but not on the same module evaluated again", () => {
    const define = () => task({ name: "dup.same", priority: 1 }, async (x: number) => x);
    define();
    expect(() => define()).not.toThrow();
    // A bundler's second copy of the module prints the function differently: same definition.
    expect(() => task({ name: "dup.same", priority: 1 }, async (y: number) => y * 1)).not.toThrow();
    expect(() => task({ name: "dup.same" }, async (y: number) => y)).toThrow(InvalidTask);
    expect(() => task({ name: "dup.same", priority: 1 }, async (a: number, b: number) => a + b)).toThrow(
      /already defined/,
    );
  });

  it.each([
    [{ name: "" }, /non-empty name/],
    [{ name: "bad.priority", priority: 101 }, /between -100 and 100/],
    [{ name: "bad.priority2", priority: 1.5 }, /integer/],
    [{ name: "bad.queue", queueName: "x".repeat(33) }, /at most 32/],
    [{ name: "bad.attempts", maxAttempts: 0 }, /positive integer/],
    [{ name: "bad.timeout", timeout: -1 }, /positive number/],
  ])("refuses invalid options %o", (options, message) => {
    expect(() => task(options, async () => null)).toThrow(message);
  });

  it("requires a context parameter when takesContext is set", () => {
    expect(() => task({ name: "ctx.missing", takesContext: true }, (() => 1) as never)).toThrow(/first parameter/);
    const ok = task({ name: "ctx.ok", takesContext: true }, async (ctx, n: number) => ctx.attempt + n);
    expectTypeOf(ok.enqueue).parameters.toEqualTypeOf<[number]>();
    unregisterTask("ctx.ok");
  });

  it("refuses call() on a task that takes a context", async () => {
    const t = task({ name: "ctx.call", takesContext: true }, async (ctx) => ctx.attempt);
    await expect(t.call()).rejects.toThrow(/takes a context/);
  });
});

describe("using()", () => {
  const send = task({ name: "using.send", queueName: "email", priority: 1 }, async (id: number) => id);

  it("returns a validated copy and leaves the original unchanged", () => {
    const urgent = send.using({ priority: 10, queueName: "bulk" });
    expect(urgent.priority).toBe(10);
    expect(urgent.queueName).toBe("bulk");
    expect(send.priority).toBe(1);
    expect(send.queueName).toBe("email");
    // undefined keeps the current value
    expect(urgent.using({ priority: undefined }).priority).toBe(10);
  });

  it("refuses an unknown option, at run time too (an options object the compiler never saw)", () => {
    const options = JSON.parse('{"priority": 1, "uniqueky": "order:1"}') as object;
    expect(() => send.using(options)).toThrow(
      /Task "using\.send": using\(\) got an unknown option "uniqueky"; it knows priority, queueName/,
    );
    const taskOptions = JSON.parse('{"name": "t.typo", "priorty": 5}') as { name: string };
    expect(() => task(taskOptions, async () => null)).toThrow(/task\("t\.typo"\) got an unknown option "priorty"/);
  });

  it("refuses bad overrides with clear errors", () => {
    expect(() => send.using({ priority: 101 })).toThrow(/between -100 and 100/);
    expect(() => send.using({ backend: "nope" })).toThrow(InvalidTaskBackend);
    expect(() => send.using({ backend: "nope" })).toThrow(/No backend is configured as "nope"/);
    expect(() => send.using({ runAfter: new Date("garbage") })).toThrow(/valid Date/);
    expect(() => send.using({ backend: "inline", delay: { seconds: 5 } })).toThrow(/cannot defer/);
    expect(() => send.using({ backend: "strict", queueName: "bulk" })).toThrow(/not one of backend "strict"'s queues/);
    expect(() => send.using({ repeat: 0 })).toThrow(/positive integer/);
    expect(() => send.using({ uniqueKey: "" })).toThrow(/uniqueKey must be a non-empty string/);
    expect(() => send.using({ uniqueKey: "x".repeat(256) })).toThrow(/at most 255 characters/);
  });

  it("computes a delay at enqueue time and stores repeat, creator and verbose name", async () => {
    const before = Date.now();
    const r = await send
      .using({
        delay: { minutes: 20 },
        repeat: Repeat.HOURLY,
        creator: { type: "user", id: "7" },
        verboseName: "Send it",
      })
      .enqueue(1);
    expect(r.runAfter.getTime()).toBeGreaterThanOrEqual(before + 20 * 60_000);
    expect(r.repeat).toBe(3600);
    expect(r.creator).toEqual({ type: "user", id: "7" });
    expect(r.verboseName).toBe("Send it");
  });
});

describe("argument validation", () => {
  const t = task({ name: "args.check" }, async (..._args: unknown[]) => null);
  class Point {
    x = 1;
  }
  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;

  it.each([
    [[{ createdAt: new Date() }], "args[0].createdAt", /a Date/],
    [[new Map()], "args[0]", /a Map/],
    [[1n], "args[0]", /BigInt/],
    [[new Point()], "args[0]", /instance of Point/],
    [[() => 1], "args[0]", /function/],
    [[[1, undefined]], "args[0][1]", /undefined/],
    [[NaN], "args[0]", /NaN/],
    [[{ a: [Infinity] }], "args[0].a[0]", /Infinity/],
    [[cycle], "args[0].self", /cycle/],
    [[{ "weird key": new Set() }], 'args[0]["weird key"]', /a Set/],
  ])("refuses %o at %s and stores nothing", async (args, path, message) => {
    const err = await t.enqueue(...args).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidTaskArgumentsError);
    expect((err as InvalidTaskArgumentsError).path).toBe(path);
    expect((err as Error).message).toMatch(message);
    expect((err as InvalidTaskArgumentsError).code).toBe("INVALID_TASK_ARGUMENTS");
    expect((getBackend() as DummyBackend).results).toEqual([]);
  });

  it("normalises bytes to strings and drops undefined properties", () => {
    expect(normalizeJson([new TextEncoder().encode("héllo"), { a: 1, b: undefined }], "args")).toEqual([
      "héllo",
      { a: 1 },
    ]);
  });

  it("refuses the whole batch in enqueueMany when one item is bad", async () => {
    const err = await t.enqueueMany([[1], [new Date()]]).catch((e: unknown) => e);
    expect((err as InvalidTaskArgumentsError).path).toBe("argsList[1][0]");
    expect((getBackend() as DummyBackend).results).toEqual([]);
  });
});

describe("configure()", () => {
  it("refuses an unknown backend type", () => {
    expect(() => configure({ backends: { default: { backend: "redis" } as never } })).toThrow(/unknown type "redis"/);
  });
});
