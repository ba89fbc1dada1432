import { afterAll, beforeAll, beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { configure, closeBackends, task, type TaskReturn } from "@errand/core";
import { queries } from "@errand/core/internal";
import { createTestDatabase, type TestDatabase } from "@errand/core/testing";
import { createTaskRouter, type AuthorizeRequest, type TaskRecordJSON } from "../src/index";

interface Ctx {
  user: { id: string; admin: boolean } | null;
}

const add = task({ name: "trpc-test.add", queueName: "math" }, async (a: number, b: number) => a + b);
const greet = task({ name: "trpc-test.greet" }, async (name: string) => `hello ${name}`);
const secret = task({ name: "trpc-test.secret" }, async () => "not exposed");

const asked: AuthorizeRequest<Ctx>[] = [];
const router = createTaskRouter<Ctx>({
  tasks: [add, { task: greet, schema: z.tuple([z.string().min(1).max(20)]) }],
  authorize: (request) => {
    asked.push(request);
    if (!request.ctx.user) return false;
    if (request.action === "cancel" || request.action === "retry") return request.ctx.user.admin;
    return true;
  },
  creator: (ctx) => (ctx.user ? { type: "user", id: ctx.user.id } : null),
});

const admin = router.createCaller({ user: { id: "1", admin: true } });
const member = router.createCaller({ user: { id: "2", admin: false } });
const anonymous = router.createCaller({ user: null });

let tdb: TestDatabase;

async function count(): Promise<number> {
  const row = await tdb.db
    .selectFrom("errand_tasks")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function expectCode(promise: Promise<unknown>, code: TRPCError["code"], message?: RegExp): Promise<TRPCError> {
  const error = await promise.then(
    () => {
      throw new Error(`expected ${code}, but the call succeeded`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TRPCError);
  expect((error as TRPCError).code).toBe(code);
  if (message) expect((error as TRPCError).message).toMatch(message);
  return error as TRPCError;
}

/** Claims every due task as a worker would, then fails it for good. */
async function runAndFail(): Promise<void> {
  const claimed = await queries.taskClaimBatch(tdb.db, {
    queues: "*",
    limit: 100,
    workerId: "test-worker",
    leaseSeconds: 60,
  });
  await queries.taskFail(tdb.db, {
    workerId: "test-worker",
    failures: claimed.map((row) => ({
      id: row.id,
      error: {
        exceptionClass: "Error",
        message: "boom",
        traceback: "Error: boom\n    at test",
        attempt: row.attempts,
        failedAt: new Date().toISOString(),
      },
      retryDelay: null,
    })),
  });
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  configure({ backends: { default: { backend: "database", url: tdb.url } } });
});

afterAll(async () => {
  await closeBackends();
  await tdb.drop();
});

// Each test starts from an empty table: none reads another's rows.
beforeEach(async () => {
  await tdb.db.deleteFrom("errand_tasks").execute();
});

describe("enqueue", () => {
  it("stores a listed task with its args and returns the record with ISO dates", async () => {
    const record = await member.enqueue({ task: "trpc-test.add", args: [1, 2] });
    expect(record).toMatchObject({
      taskName: "trpc-test.add",
      queueName: "math",
      args: [1, 2],
      status: "PENDING",
      attempts: 0,
    });
    expect(record.creator).toEqual({ type: "user", id: "2" });
    expect(typeof record.enqueuedAt).toBe("string");
    expect(new Date(record.enqueuedAt).toISOString()).toBe(record.enqueuedAt);
    expectTypeOf(record.enqueuedAt).toEqualTypeOf<string>();
    expect(asked.at(-1)).toMatchObject({ action: "enqueue", taskName: "trpc-test.add" });
  });

  it("applies priority and delay within bounds", async () => {
    const before = Date.now();
    const record = await member.enqueue({ task: "trpc-test.add", args: [3, 4], options: { priority: 100, delay: 60 } });
    expect(record.priority).toBe(100);
    expect(new Date(record.runAfter).getTime()).toBeGreaterThanOrEqual(before + 59_000);
    const at = new Date(Date.now() + 3_600_000).toISOString();
    const scheduled = await member.enqueue({
      task: "trpc-test.add",
      args: [5, 6],
      options: { runAfter: at, priority: -100 },
    });
    expect(scheduled.runAfter).toBe(at);
  });

  it("validates args against the task's schema when it has one", async () => {
    const record = await member.enqueue({ task: "trpc-test.greet", args: ["ada"] });
    expect(record.args).toEqual(["ada"]);
    const before = await count();
    await expectCode(member.enqueue({ task: "trpc-test.greet", args: [42] }), "BAD_REQUEST", /args\.0/);
    await expectCode(member.enqueue({ task: "trpc-test.greet", args: ["x".repeat(21)] }), "BAD_REQUEST", /args\.0/);
    await expectCode(member.enqueue({ task: "trpc-test.greet", args: ["a", "b"] }), "BAD_REQUEST");
    expect(await count()).toBe(before);
  });

  const bad: [string, unknown, RegExp][] = [
    ["an unlisted task", { task: "trpc-test.secret", args: [] }, /Unknown task "trpc-test\.secret".*"trpc-test\.add"/],
    ["an unknown task", { task: "nope", args: [] }, /Unknown task/],
    ["a missing task", { args: [1, 2] }, /task/],
    ["an empty task name", { task: "", args: [] }, /^task: must be a string of 1 to \d+ characters, got ""$/],
    ["args that are not an array", { task: "trpc-test.add", args: { a: 1 } }, /args/],
    ["priority above 100", { task: "trpc-test.add", args: [1, 2], options: { priority: 101 } }, /options\.priority/],
    ["priority below -100", { task: "trpc-test.add", args: [1, 2], options: { priority: -101 } }, /options\.priority/],
    ["a fractional priority", { task: "trpc-test.add", args: [1, 2], options: { priority: 1.5 } }, /integer/],
    [
      "a negative delay",
      { task: "trpc-test.add", args: [1, 2], options: { delay: -1 } },
      /^task\("trpc-test\.add"\)\.using\(\): delay must be a non-negative number of seconds/,
    ],
    [
      "a delay over a year",
      { task: "trpc-test.add", args: [1, 2], options: { delay: 367 * 86_400 } },
      /at most a year/,
    ],
    ["a bad runAfter", { task: "trpc-test.add", args: [1, 2], options: { runAfter: "tomorrow" } }, /runAfter/],
    [
      "delay and runAfter",
      { task: "trpc-test.add", args: [1, 2], options: { delay: 1, runAfter: new Date().toISOString() } },
      /not both/,
    ],
    ["a backend", { task: "trpc-test.add", args: [1, 2], options: { backend: "other" } }, /backend/],
    ["a queue", { task: "trpc-test.add", args: [1, 2], options: { queueName: "other" } }, /queueName/],
    ["an extra key", { task: "trpc-test.add", args: [1, 2], name: "x" }, /name/],
  ];
  for (const [what, input, message] of bad) {
    it(`refuses ${what} with BAD_REQUEST and stores nothing`, async () => {
      const before = await count();
      // Inputs arrive as untyped JSON over HTTP; the cast stands in for that.
      await expectCode(member.enqueue(input as never), "BAD_REQUEST", message);
      expect(await count()).toBe(before);
    });
  }

  it("refuses args that are not JSON through core's check (a string body cannot carry them, a caller can)", async () => {
    const before = await count();
    await expectCode(member.enqueue({ task: "trpc-test.add", args: [1, Number.NaN] }), "BAD_REQUEST", /args\[1\]/);
    expect(await count()).toBe(before);
  });
});

describe("getResult", () => {
  it("returns the record with the return type visible to a caller that knows the task", async () => {
    const created = await member.enqueue({ task: "trpc-test.add", args: [2, 2] });
    const record = await member.getResult({ id: created.id });
    expect(record.id).toBe(created.id);
    const typed = record as TaskRecordJSON<TaskReturn<typeof add>>;
    expectTypeOf(typed.returnValue).toEqualTypeOf<number | undefined>();
    expect(asked.at(-1)).toMatchObject({ action: "getResult", id: created.id });
  });

  it("is NOT_FOUND for an unknown or malformed id", async () => {
    await expectCode(member.getResult({ id: "00000000-0000-4000-8000-000000000000" }), "NOT_FOUND", /No task result/);
    await expectCode(member.getResult({ id: "not-a-uuid" }), "NOT_FOUND");
  });

  it("is BAD_REQUEST for an empty or missing id", async () => {
    await expectCode(member.getResult({ id: "" }), "BAD_REQUEST", /id/);
    await expectCode(member.getResult({} as never), "BAD_REQUEST", /id/);
    await expectCode(member.getResult({ id: "x".repeat(101) }), "BAD_REQUEST", /too long/);
  });
});

describe("list", () => {
  it("lists newest first with filters and cursor pagination", async () => {
    for (let i = 0; i < 5; i++) await member.enqueue({ task: "trpc-test.greet", args: [`n${i}`] });
    const sum = await member.enqueue({ task: "trpc-test.add", args: [1, 2] });
    await admin.cancel({ id: sum.id });
    const first = await member.list({ taskName: "trpc-test.greet", limit: 3 });
    expect(first.items.map((t) => t.args[0])).toEqual(["n4", "n3", "n2"]);
    expect(first.nextCursor).not.toBeNull();
    const second = await member.list({ taskName: "trpc-test.greet", limit: 3, cursor: first.nextCursor! });
    expect(second.items.map((t) => t.args[0])).toEqual(["n1", "n0"]);
    expect(second.nextCursor).toBeNull();
    expect((await member.list({ queueName: "math" })).items.map((t) => t.id)).toEqual([sum.id]);
    expect((await member.list({ status: "FAILED" })).items.map((t) => t.id)).toEqual([sum.id]);
    const pending = await member.list({ status: "PENDING" });
    expect(pending.items.map((t) => t.args[0])).toEqual(["n4", "n3", "n2", "n1", "n0"]);
    expect((await member.list()).items.map((t) => t.taskName)).toEqual([
      "trpc-test.add",
      ...Array<string>(5).fill("trpc-test.greet"),
    ]);
  });

  it.each([
    ["an unknown status", { status: "DONE" }],
    ["a zero limit", { limit: 0 }],
    ["a huge limit", { limit: 10_000 }],
    ["a garbage cursor", { cursor: "abc" }],
    ["an empty queue name", { queueName: "" }],
    ["an unknown key", { sort: "asc" }],
  ])("refuses %s with BAD_REQUEST", async (_what, input) => {
    await expectCode(member.list(input as never), "BAD_REQUEST");
  });
});

describe("stats", () => {
  it("counts by status and queue and gives 60 minutes of throughput", async () => {
    await member.enqueue({ task: "trpc-test.add", args: [1, 2] });
    await member.enqueue({ task: "trpc-test.add", args: [3, 4] });
    const greeting = await member.enqueue({ task: "trpc-test.greet", args: ["ada"] });
    await admin.cancel({ id: greeting.id });
    const stats = await member.stats();
    expect(stats.byStatus).toEqual({ PENDING: 2, RUNNING: 0, SUCCESSFUL: 0, FAILED: 1 });
    expect(stats.byQueue).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ queueName: "math", status: "PENDING", count: 2 }),
        expect.objectContaining({ queueName: "default", status: "FAILED", count: 1 }),
      ]),
    );
    expect(stats.byQueue.reduce((n, q) => n + q.count, 0)).toBe(3);
    expect(stats.throughput).toHaveLength(60);
    expect(stats.throughput.reduce((n, m) => n + m.successful + m.failed, 0)).toBe(1);
    expect(typeof stats.generatedAt).toBe("string");
  });
});

describe("cancel and retry", () => {
  it("cancels a PENDING task, retries the FAILED one, and refuses the wrong states with CONFLICT", async () => {
    const created = await admin.enqueue({ task: "trpc-test.add", args: [9, 9] });
    const cancelled = await admin.cancel({ id: created.id });
    expect(cancelled.status).toBe("FAILED");
    expect(cancelled.errors.at(-1)?.exceptionClass).toBe("TaskCancelled");
    await expectCode(admin.cancel({ id: created.id }), "CONFLICT");

    const retried = await admin.retry({ id: created.id });
    expect(retried).toMatchObject({ id: created.id, status: "PENDING", args: [9, 9] });
    await expectCode(admin.retry({ id: created.id }), "CONFLICT");
  });

  it("retries a task that failed in a worker, keeping its attempts and errors", async () => {
    const created = await admin.enqueue({ task: "trpc-test.add", args: [1, 1] });
    await runAndFail();
    const failed = await admin.getResult({ id: created.id });
    expect(failed).toMatchObject({ status: "FAILED", attempts: 1 });
    expect(failed.errors[0]?.traceback).toContain("Error: boom");
    const retried = await admin.retry({ id: created.id });
    expect(retried).toMatchObject({ status: "PENDING", attempts: 1 });
    expect(retried.errors).toHaveLength(1);
  });

  it("asks the worker of a RUNNING task to stop it, and refuses a finished one with CONFLICT", async () => {
    const created = await admin.enqueue({ task: "trpc-test.add", args: [7, 7] });
    await queries.taskClaimBatch(tdb.db, { queues: "*", limit: 100, workerId: "test-worker", leaseSeconds: 60 });
    const asked = await admin.cancel({ id: created.id });
    expect(asked).toMatchObject({ status: "RUNNING" });
    expect(asked.cancelRequestedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    await queries.taskComplete(tdb.db, { workerId: "test-worker", results: [{ id: created.id, returnValue: "14" }] });
    expect(await admin.getResult({ id: created.id })).toMatchObject({ status: "FAILED", returnValue: undefined });
    await expectCode(admin.cancel({ id: created.id }), "CONFLICT", /it is FAILED, and only PENDING or RUNNING/);
  });

  it("enqueues with a unique key: the second call answers the first task, deduplicated", async () => {
    const first = await member.enqueue({ task: "trpc-test.add", args: [1, 2], options: { uniqueKey: "sum:1+2" } });
    const again = await member.enqueue({ task: "trpc-test.add", args: [1, 2], options: { uniqueKey: "sum:1+2" } });
    expect(first.deduplicated).toBeUndefined();
    expect(again).toMatchObject({ id: first.id, uniqueKey: "sum:1+2", deduplicated: true });
  });

  it("refuses a priority or unique key in the words of using(), whose rules it shares", async () => {
    const refused: [string, unknown][] = [
      ["priority", 101],
      ["priority", 1.5],
      ["priority", "5"],
      ["uniqueKey", ""],
      ["uniqueKey", "k".repeat(256)],
    ];
    const before = await count();
    for (const [key, value] of refused) {
      const local = (() => {
        try {
          add.using({ [key]: value });
        } catch (error) {
          return (error as Error).message;
        }
        throw new Error(`using() took ${key}: ${JSON.stringify(value)}`);
      })();
      // task("trpc-test.add").using(): priority must be …, got 101.  →  options.priority: must be …, got 101
      const said = local.replace(/^task\("trpc-test\.add"\)\.using\(\): (\w+) (.*)\.$/, "options.$1: $2");
      const options = { [key]: value } as never;
      const error = await expectCode(member.enqueue({ task: "trpc-test.add", args: [1, 2], options }), "BAD_REQUEST");
      expect(error.message).toBe(said);
    }
    expect(await count()).toBe(before);
  });

  it("is NOT_FOUND for unknown ids and BAD_REQUEST for empty ones", async () => {
    await expectCode(admin.cancel({ id: "00000000-0000-4000-8000-000000000000" }), "NOT_FOUND");
    await expectCode(admin.retry({ id: "00000000-0000-4000-8000-000000000000" }), "NOT_FOUND");
    await expectCode(admin.cancel({ id: "" }), "BAD_REQUEST");
    await expectCode(admin.retry({ id: "" }), "BAD_REQUEST");
  });
});

describe("authorize", () => {
  it("is asked before every procedure and denial is FORBIDDEN with nothing done", async () => {
    const before = await count();
    const existing = await admin.enqueue({ task: "trpc-test.add", args: [0, 0] });
    await expectCode(
      anonymous.enqueue({ task: "trpc-test.add", args: [1, 2] }),
      "FORBIDDEN",
      /^Not allowed to enqueue\.$/,
    );
    await expectCode(anonymous.getResult({ id: existing.id }), "FORBIDDEN");
    await expectCode(anonymous.list(), "FORBIDDEN");
    await expectCode(anonymous.stats(), "FORBIDDEN");
    await expectCode(anonymous.cancel({ id: existing.id }), "FORBIDDEN");
    await expectCode(anonymous.retry({ id: existing.id }), "FORBIDDEN");
    await expectCode(member.cancel({ id: existing.id }), "FORBIDDEN", /cancel/);
    await expectCode(member.retry({ id: existing.id }), "FORBIDDEN", /retry/);
    expect(await count()).toBe(before + 1);
    expect((await admin.getResult({ id: existing.id })).status).toBe("PENDING");
  });

  it("is asked before the input is read, then again with the validated task name or id", async () => {
    asked.length = 0;
    const created = await member.enqueue({ task: "trpc-test.add", args: [1, 1] });
    await member.getResult({ id: ` ${created.id} ` });
    await member.stats();
    expect(asked.map(({ ctx: _ctx, ...rest }) => rest)).toEqual([
      { action: "enqueue", beforeInput: true },
      { action: "enqueue", beforeInput: false, taskName: "trpc-test.add" },
      { action: "getResult", beforeInput: true },
      { action: "getResult", beforeInput: false, id: created.id },
      { action: "stats", beforeInput: true },
    ]);
  });

  it("refuses a refused caller with the same FORBIDDEN whatever its input, without reading it", async () => {
    const existing = await admin.enqueue({ task: "trpc-test.add", args: [0, 0] });
    const before = await count();
    // Valid, unknown, unlisted, malformed, wrongly typed: the caller is told nothing but FORBIDDEN.
    const enqueueInputs: unknown[] = [
      { task: "trpc-test.add", args: [1, 2] },
      { task: "trpc-test.secret", args: [] },
      { task: "nope", args: [] },
      { task: "trpc-test.greet", args: [42] },
      { task: "trpc-test.add", args: [1, 2], options: { priority: 1000 } },
      { args: [1, 2], extra: true },
      "not an object",
      undefined,
    ];
    const refusals: TRPCError[] = [];
    for (const input of enqueueInputs) refusals.push(await expectCode(anonymous.enqueue(input as never), "FORBIDDEN"));
    expect(new Set(refusals.map((e) => e.message))).toEqual(new Set(["Not allowed to enqueue."]));
    for (const input of [{ id: existing.id }, { id: "" }, { id: "x".repeat(500) }, {}, 42]) {
      const error = await expectCode(anonymous.getResult(input as never), "FORBIDDEN");
      expect(error.message).toBe("Not allowed to getResult.");
    }
    const typedAnonymous = createTaskRouter({
      tasks: [add],
      authorize: ({ ctx }: AuthorizeRequest<Ctx>) => ctx.user !== null,
    }).createCaller({ user: null });
    for (const input of [{ args: [1, 1] }, { args: "nope" }, null]) {
      const error = await expectCode(typedAnonymous.tasks["trpc-test"].add.enqueue(input as never), "FORBIDDEN");
      expect(error.message).toBe("Not allowed to enqueue.");
    }
    for (const input of [{}, { status: "DONE" }, { id: "" }]) {
      const error = await expectCode(anonymous.watch(input as never), "FORBIDDEN");
      expect(error.message).toBe("Not allowed to watch.");
    }
    // The input is not even looked at: no property of it is read.
    const touched: PropertyKey[] = [];
    const spy = new Proxy(
      { task: "trpc-test.add", args: [1, 2] },
      {
        get: (target, key, receiver) => (touched.push(key), Reflect.get(target, key, receiver) as unknown),
        ownKeys: (target) => (touched.push("ownKeys"), Reflect.ownKeys(target)),
      },
    );
    await expectCode(anonymous.enqueue(spy), "FORBIDDEN");
    expect(touched).toEqual([]);
    expect(await count()).toBe(before);
  });

  it("lets a per-task authorize refuse a task by name, without listing the others", async () => {
    const perTask = createTaskRouter({
      tasks: [add, greet],
      authorize: ({ ctx, action, taskName, beforeInput }: AuthorizeRequest<Ctx>) =>
        ctx.user !== null && (action !== "enqueue" || beforeInput === true || taskName === "trpc-test.add"),
    });
    const caller = perTask.createCaller({ user: { id: "3", admin: false } });
    const before = await count();
    expect((await caller.enqueue({ task: "trpc-test.add", args: [1, 2] })).taskName).toBe("trpc-test.add");
    for (const name of ["trpc-test.greet", "trpc-test.secret", "nope"]) {
      const error = await expectCode(caller.enqueue({ task: name, args: ["x"] }), "FORBIDDEN");
      expect(error.message).toBe("Not allowed to enqueue.");
    }
    await expectCode(caller.tasks["trpc-test"].greet.enqueue({ args: ["x"] }), "FORBIDDEN");
    expect(await count()).toBe(before + 1);
  });

  it("treats a throwing authorize as a denial", async () => {
    const strict = createTaskRouter<Ctx>({
      tasks: [add],
      authorize: () => {
        throw new Error("session store down");
      },
    });
    await expectCode(strict.createCaller({ user: null }).stats(), "FORBIDDEN");
  });

  it("supports async authorize", async () => {
    const asyncRouter = createTaskRouter<Ctx>({ tasks: [add], authorize: async ({ ctx }) => ctx.user !== null });
    await expect(asyncRouter.createCaller({ user: { id: "1", admin: false } }).stats()).resolves.toBeDefined();
    await expectCode(asyncRouter.createCaller({ user: null }).stats(), "FORBIDDEN");
  });
});

describe("errors that are the server's fault", () => {
  it("are INTERNAL_SERVER_ERROR without the driver's message", async () => {
    const broken = createTaskRouter<Ctx>({ tasks: [add], authorize: () => true, backend: "nope" });
    // An unknown backend alias is a configuration mistake of the caller: BAD_REQUEST.
    await expectCode(broken.createCaller({ user: null }).stats(), "BAD_REQUEST", /No backend is configured as "nope"/);
  });

  it("keeps secret tasks out of enqueue even though they are registered", () => {
    expect(secret.name).toBe("trpc-test.secret");
  });
});

describe("tasks.<name as a path>", () => {
  // `authorize` annotated instead of createTaskRouter<Ctx>: the tasks' types are inferred.
  const typed = createTaskRouter({
    tasks: [add, { task: greet, schema: z.tuple([z.string().min(1).max(20)]) }],
    authorize: (request: AuthorizeRequest<Ctx>) => {
      asked.push(request);
      return request.ctx.user !== null;
    },
  });
  const caller = typed.createCaller({ user: { id: "1", admin: true } });

  it("enqueues and reads a listed task at the path of its name", async () => {
    const record = await caller.tasks["trpc-test"].add.enqueue({ args: [2, 3], options: { priority: 5 } });
    expect(record).toMatchObject({ taskName: "trpc-test.add", queueName: "math", args: [2, 3], priority: 5 });
    expect(asked.at(-1)).toMatchObject({ action: "enqueue", taskName: "trpc-test.add" });
    const read = await caller.tasks["trpc-test"].add.getResult({ id: record.id });
    expect(read.id).toBe(record.id);
    expect(asked.at(-1)).toMatchObject({ action: "getResult", taskName: "trpc-test.add", id: record.id });
  });

  it("checks args against the task's schema and a result against its task", async () => {
    await expectCode(caller.tasks["trpc-test"].greet.enqueue({ args: [""] }), "BAD_REQUEST", /args/);
    const other = await caller.tasks["trpc-test"].greet.enqueue({ args: ["ada"] });
    await expectCode(caller.tasks["trpc-test"].add.getResult({ id: other.id }), "BAD_REQUEST", /trpc-test\.greet/);
  });

  it("asks authorize first", async () => {
    const before = await count();
    const stranger = typed.createCaller({ user: null });
    await expectCode(stranger.tasks["trpc-test"].add.enqueue({ args: [1, 1] }), "FORBIDDEN");
    expect(await count()).toBe(before);
  });

  it("refuses a task name that cannot be a path", () => {
    const clash = task("trpc-test.bad.enqueue", async () => 1);
    expect(() => createTaskRouter({ tasks: [clash], authorize: () => true })).toThrow(/Rename the task/);
  });
});
