import { describe, expectTypeOf, it } from "vitest";
import type { TaskReturn, Task } from "@errand/core";
import type { TaskRecordJSON } from "@errand/trpc";
import type { useTaskResult } from "../src/index";

describe("types", () => {
  it("useTaskResult types returnValue from the task given as a type argument", () => {
    type Report = Task<[month: string], { url: string; pages: number }>;
    type Result = ReturnType<typeof useTaskResult<TaskReturn<Report>>>["result"];
    expectTypeOf<Result>().toEqualTypeOf<TaskRecordJSON<{ url: string; pages: number }> | undefined>();
    expectTypeOf<NonNullable<Result>["returnValue"]>().toEqualTypeOf<{ url: string; pages: number } | undefined>();
    expectTypeOf<NonNullable<Result>["enqueuedAt"]>().toEqualTypeOf<string>();
  });
});
