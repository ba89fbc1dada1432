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
    [
      { name: "" },
      'task(""): name must be a stable, non-empty name of at most 255 characters, e.g. task({ name: "emails.send" }, fn), got "".',
    ],
    [
      { name: "bad.priority", priority: 101 },
      'task("bad.priority"): priority must be an integer from -100 to 100 (higher runs first), got 101.',
    ],
    [{ name: "bad.priority2", priority: 1.5 }, /^task\("bad\.priority2"\): priority must be an integer/],
    [
      { name: "bad.queue", queueName: "x".repeat(33) },
      /^task\("bad\.queue"\): queueName must be a string of 1 to 32 characters, got "x+"\.$/,
    ],
    [{ name: "bad.attempts", maxAttempts: 0 }, 'task("bad.attempts"): maxAttempts must be a positive integer, got 0.'],
    [
      { name: "bad.timeout", timeout: -1 },
      'task("bad.timeout"): timeout must be a positive number of seconds, got -1.',
    ],
  ])("refuses invalid options %o with an InvalidTask", (options, message) => {
    expect(() => task(options, async () => null)).toThrow(message);
    expect(() => task(options, async () => null)).toThrow(InvalidTask);
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
    const options = JSON.parse('{"priority": 1, "uniqueKeys": "order:1"}') as object;
    expect(() => send.using(options)).toThrow(
      /^task\("using\.send"\)\.using\(\): unknown option "uniqueKeys"; it takes priority, queueName/,
    );
    const taskOptions = JSON.parse('{"name": "t.typo", "priorty": 5}') as { name: string };
    expect(() => task(taskOptions, async () => null)).toThrow(/^task\("t\.typo"\): unknown option "priorty"/);
  });

  it("refuses bad overrides with clear errors", () => {
    expect(() => send.using({ priority: 101 })).toThrow(
      'task("using.send").using(): priority must be an integer from -100 to 100 (higher runs first), got 101.',
    );
    expect(() => send.using({ backend: "nope" })).toThrow(InvalidTaskBackend);
    expect(() => send.using({ backend: "nope" })).toThrow(/No backend is configured as "nope"/);
    expect(() => send.using({ runAfter: new Date("garbage") })).toThrow(
      'task("using.send").using(): runAfter must be a valid Date, got Invalid Date.',
    );
    expect(() => send.using({ backend: "inline", delay: { seconds: 5 } })).toThrow(/cannot defer/);
    expect(() => send.using({ backend: "strict", queueName: "bulk" })).toThrow(/not one of backend "strict"'s queues/);
    expect(() => send.using({ repeat: 0 })).toThrow(
      'task("using.send").using(): repeat must be a positive whole number of seconds (see Repeat), got 0.',
    );
    expect(() => send.using({ maxAttempts: 0 })).toThrow(InvalidTask);
    expect(() => send.using({ uniqueKey: "" })).toThrow(/uniqueKey must be a string of 1 to 255 characters, e\.g\./);
    expect(() => send.using({ uniqueKey: "x".repeat(256) })).toThrow(
      /uniqueKey must be a string of 1 to 255 characters/,
    );
  });

  it("refuses an unknown option to task() or using(), naming it and listing the known ones", () => {
    const typo = { name: "t.typo", queue: "email" } as unknown as { name: string };
    expect(() => task(typo, async () => null)).toThrow(
      /^task\("t\.typo"\): unknown option "queue"; it takes name, queueName, priority/,
    );
    const misplaced = { name: "t.key", uniqueKey: "k" } as unknown as { name: string };
    expect(() => task(misplaced, async () => null)).toThrow(/^task\("t\.key"\): unknown option "uniqueKey"/);
    const unknown = { unique: "k", dealy: 5 } as unknown as { priority: number };
    expect(() => send.using(unknown)).toThrow(/using\(\): unknown options "unique", "dealy"; it takes .*uniqueKey/);
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
    expect(() => configure({ backends: { default: { backend: "redis" } as never } })).toThrow(
      'configure(): backends.default.backend must be "database", "immediate", "dummy" or a backend class (extend BaseBackend), got "redis".',
    );
  });
});
