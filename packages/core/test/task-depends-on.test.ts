import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeBackends, configure, InvalidTask, task, transaction, type TaskDependency } from "@errand/core";
import { createTestDatabase, type TestDatabase } from "@errand/core/testing";

// `using({ dependsOn })` through the public API: the database backend stores and checks, the
// immediate backend runs a task whose dependencies succeeded with their return values.
let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
  configure({
    backends: {
      default: { backend: "database", url: tdb.url },
      inline: { backend: "immediate" },
      fake: { backend: "dummy" },
    },
  });
});
afterAll(async () => {
  await closeBackends();
  await tdb?.drop();
});

const resize = task({ name: "deps-api.resize" }, async (image: string) => ({ url: `${image}.small` }));
let seen: TaskDependency[] = [];
const notify = task({ name: "deps-api.notify", takesContext: true }, async (ctx, userId: number) => {
  seen = ctx.dependencies;
  return { userId, urls: ctx.dependenciesOf(resize).map((d) => d.returnValue.url) };
});

describe("using({ dependsOn })", () => {
  it("takes results or ids, stores the task waiting, and getResult shows dependsOn and waitingOn", async () => {
    const a = await resize.enqueue("a.png");
    const b = await resize.enqueue("b.png");
    const done = await notify.using({ dependsOn: [a, b.id] }).enqueue(42);
    expect(done.status).toBe("PENDING");
    expect(done.dependsOn).toEqual([a.id, b.id]);
    expect(done.waitingOn).toBe(2);
    const again = await notify.getResult(done.id);
    expect([again.dependsOn, again.waitingOn]).toEqual([[a.id, b.id], 2]);
  });

  it("refuses bad dependencies at using() or enqueue, storing nothing", async () => {
    const before = await tdb.db
      .selectFrom("errand_tasks")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .executeTakeFirstOrThrow();
    expect(() => notify.using({ dependsOn: ["nope"] })).toThrow(
      'task("deps-api.notify").using(): dependsOn[0] must be a TaskResult or a task id (a uuid), got "nope".',
    );
    expect(() => notify.using({ dependsOn: "nope" as never })).toThrow(
      'task("deps-api.notify").using(): dependsOn must be a list of task results or ids, e.g. using({ dependsOn: [a, b] }), got "nope".',
    );
    const elsewhere = await resize.using({ backend: "fake" }).enqueue("x.png");
    expect(() => notify.using({ dependsOn: [elsewhere] })).toThrow(/backend "fake".*own backend/);
    const a = await resize.enqueue("a.png");
    expect(() => notify.using({ dependsOn: Array.from({ length: 1001 }, () => a) })).toThrow(/at most 1000/);
    await expect(notify.using({ dependsOn: [elsewhere.id] }).enqueue(1)).rejects.toThrow(InvalidTask);
    await expect(notify.using({ dependsOn: [a, elsewhere.id] }).enqueueMany([[1], [2]])).rejects.toThrow(
      /no task with id/,
    );
    const after = await tdb.db
      .selectFrom("errand_tasks")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n) + 1);
  });

  it("works with transaction.onCommit and inside the caller's transaction", async () => {
    const a = await resize.enqueue("c.png");
    let fromCallback: Promise<unknown> | undefined;
    await transaction.atomic(tdb.db, async (trx) => {
      const inside = await notify.using({ transaction: trx, dependsOn: [a] }).enqueue(7);
      expect(inside.waitingOn).toBe(1);
      void transaction.onCommit(() => {
        fromCallback = notify.using({ dependsOn: [a, inside] }).enqueue(8);
      });
    });
    const later = (await fromCallback) as Awaited<ReturnType<typeof notify.enqueue>>;
    expect(later.waitingOn).toBe(2);
  });

  it("runs on the immediate backend once its dependencies succeeded, with their return values in order", async () => {
    const a = await resize.using({ backend: "inline" }).enqueue("1.png");
    const b = await resize.using({ backend: "inline" }).enqueue("2.png");
    const done = await notify.using({ backend: "inline", dependsOn: [b, a] }).enqueue(5);
    expect(done.status).toBe("SUCCESSFUL");
    expect(done.returnValue).toEqual({ userId: 5, urls: ["2.png.small", "1.png.small"] });
    expect(seen).toEqual([
      { id: b.id, taskName: "deps-api.resize", returnValue: { url: "2.png.small" } },
      { id: a.id, taskName: "deps-api.resize", returnValue: { url: "1.png.small" } },
    ]);
  });
});
