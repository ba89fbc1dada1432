// Type tests, run by vitest's typecheck mode (tsc): a task's argument and return types flow
// from its function to enqueue, using, call and getResult; wrong ones do not compile.
import { describe, expectTypeOf, it } from "vitest";
import {
  task,
  type AnyTask,
  type TaskArgs,
  type TaskContext,
  type TaskDependency,
  type TaskResult,
  type TaskReturn,
} from "@errand/core";

const add = task({ name: "types.add" }, async (a: number, b: number) => ({ sum: a + b }));
const withContext = task({ name: "types.ctx", takesContext: true }, async (ctx: TaskContext, label: string) => {
  await ctx.setProgress(1, 2);
  return label.length;
});

describe("task types", () => {
  it("enqueue takes the function's parameters and resolves to a typed result", () => {
    expectTypeOf(add.enqueue).parameters.toEqualTypeOf<[number, number]>();
    expectTypeOf(add.enqueue).returns.resolves.toEqualTypeOf<TaskResult<{ sum: number }>>();
    expectTypeOf<TaskArgs<typeof add>>().toEqualTypeOf<[number, number]>();
    expectTypeOf<TaskReturn<typeof add>>().toEqualTypeOf<{ sum: number }>();
    expectTypeOf(add).toExtend<AnyTask>();
  });

  it("an unknown option to task() or using() does not compile", () => {
    const check = () => {
      // @ts-expect-error a misspelt option
      task({ name: "types.typo", priorty: 5 }, async () => null);
      // @ts-expect-error an option using() does not have
      add.using({ uniqueKeys: "order:1" });
    };
    expectTypeOf(check).toBeFunction();
  });

  it("a wrong argument, a missing one or an extra one does not compile", () => {
    // @ts-expect-error a string where a number is expected
    void add.enqueue("1", 2);
    // @ts-expect-error a missing argument
    void add.enqueue(1);
    // @ts-expect-error an extra argument
    void add.enqueue(1, 2, 3);
    // @ts-expect-error using() keeps the argument types
    void add.using({ priority: 5 }).enqueue("1", 2);
  });

  it("an unknown option to task() or using() does not compile", () => {
    // @ts-expect-error a typo of queueName
    task({ name: "types.typo", queue: "email" }, async () => null);
    // @ts-expect-error uniqueKey belongs to using(), not task()
    task({ name: "types.key", uniqueKey: "k" }, async () => null);
    // @ts-expect-error not an option of using()
    void add.using({ unique: "k" });
    expectTypeOf(add.using({ uniqueKey: "order:1" }).enqueue).parameters.toEqualTypeOf<[number, number]>();
    expectTypeOf<TaskResult["deduplicated"]>().toEqualTypeOf<boolean>();
  });

  it("a task that takes a context is enqueued without it", () => {
    expectTypeOf(withContext.enqueue).parameters.toEqualTypeOf<[string]>();
    expectTypeOf(withContext.enqueue).returns.resolves.toEqualTypeOf<TaskResult<number>>();
  });

  it("returnValue and getResult are typed from the function's return type", async () => {
    const result = await add.getResult("00000000-0000-0000-0000-000000000000");
    expectTypeOf(result.returnValue).toEqualTypeOf<{ sum: number }>();
    // @ts-expect-error returnValue is not a string
    const wrong: string = result.returnValue;
    void wrong;
  });
});

describe("dependencies between tasks", () => {
  const resize = task({ name: "types.resize" }, async (image: string) => ({ url: image }));
  it("dependsOn takes typed results and ids; ctx.dependenciesOf is typed by the task", () => {
    const check = async () => {
      const a = await resize.enqueue("a.png");
      await add.using({ dependsOn: [a, "0b9a5f0e-1111-4222-8333-444455556666"] }).enqueue(1, 2);
      // @ts-expect-error a number is neither a result nor an id
      add.using({ dependsOn: [42] });
    };
    expectTypeOf(check).toBeFunction();
    task({ name: "types.fanIn", takesContext: true }, async (ctx) => {
      expectTypeOf(ctx.dependencies).toEqualTypeOf<TaskDependency[]>();
      expectTypeOf(ctx.dependencies[0]!.returnValue).toEqualTypeOf<unknown>();
      expectTypeOf(ctx.dependenciesOf(resize)).toEqualTypeOf<TaskDependency<{ url: string }>[]>();
      return null;
    });
  });
});
