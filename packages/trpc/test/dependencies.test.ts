import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRPCError } from "@trpc/server";
import { closeBackends, configure, task } from "@errand/core";
import { createTestDatabase, type TestDatabase } from "@errand/core/testing";
import { createTaskRouter } from "../src/index";

// `enqueue` with `dependsOn`, and `dependents`, through the router.
interface Ctx {
  user: string | null;
}
const resize = task({ name: "trpc-deps.resize" }, async (image: string) => ({ url: image }));
const notify = task({ name: "trpc-deps.notify" }, async (userId: number) => userId);
const router = createTaskRouter({
  tasks: [resize, notify],
  authorize: ({ ctx }: { ctx: Ctx }) => ctx.user !== null,
});
const caller = router.createCaller({ user: "u1" });
const anonymous = router.createCaller({ user: null });

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
  configure({ backends: { default: { backend: "database", url: tdb.url } } });
});
afterAll(async () => {
  await closeBackends();
  await tdb.drop();
});

async function rejection(promise: Promise<unknown>): Promise<TRPCError> {
  const error = await promise.then(
    () => new Error("expected the call to fail"),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TRPCError);
  return error as TRPCError;
}

describe("enqueue with dependsOn", () => {
  it("stores the task waiting on the listed ids; getResult shows them; dependents lists what it unblocks", async () => {
    const a = await caller.enqueue({ task: "trpc-deps.resize", args: ["a.png"] });
    const b = await caller.tasks["trpc-deps"].resize.enqueue({ args: ["b.png"] });
    const done = await caller.enqueue({ task: "trpc-deps.notify", args: [7], options: { dependsOn: [a.id, b.id] } });
    expect(done).toMatchObject({ status: "PENDING", dependsOn: [a.id, b.id], waitingOn: 2 });
    expect(await caller.getResult({ id: done.id })).toMatchObject({ dependsOn: [a.id, b.id], waitingOn: 2 });
    expect(await caller.dependents({ id: a.id })).toEqual([
      { id: done.id, taskName: "trpc-deps.notify", status: "PENDING" },
    ]);
    expect(await caller.dependents({ id: done.id })).toEqual([]);
    expect((await rejection(anonymous.dependents({ id: a.id }))).code).toBe("FORBIDDEN");
  });

  it("is a BAD_REQUEST with a readable message for a malformed, unknown or excessive list, storing nothing", async () => {
    const count = async () =>
      Number(
        (
          await tdb.db
            .selectFrom("errand_tasks")
            .select((eb) => eb.fn.countAll<string>().as("n"))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await count();
    const malformed = await rejection(
      caller.enqueue({ task: "trpc-deps.notify", args: [1], options: { dependsOn: ["nope"] } }),
    );
    // In the words of using(), whose check it is.
    expect([malformed.code, malformed.message]).toEqual([
      "BAD_REQUEST",
      'task("trpc-deps.notify").using(): dependsOn[0] must be a TaskResult or a task id (a uuid), got "nope".',
    ]);
    const unknown = await rejection(
      caller.enqueue({
        task: "trpc-deps.notify",
        args: [1],
        options: { dependsOn: ["00000000-0000-4000-8000-000000000000"] },
      }),
    );
    expect([unknown.code, unknown.message]).toEqual(["BAD_REQUEST", expect.stringMatching(/no task with id/)]);
    const tooMany = await rejection(
      caller.enqueue({
        task: "trpc-deps.notify",
        args: [1],
        options: { dependsOn: Array.from({ length: 1001 }, () => "00000000-0000-4000-8000-000000000000") },
      }),
    );
    expect([tooMany.code, tooMany.message]).toEqual([
      "BAD_REQUEST",
      expect.stringMatching(/^task\("trpc-deps\.notify"\)\.using\(\): dependsOn lists 1001 tasks; at most 1000/),
    ]);
    expect(await count()).toBe(before);
  });
});
