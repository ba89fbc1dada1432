import { describe, expect, it } from "vitest";
import { ErrandError, InvalidTask } from "@errand/core";
import { buildTaskProcedureTree } from "../src/task-procedures";
import { InvalidInputError } from "../src/format-zod-issues";

describe("errors the tRPC package throws", () => {
  it("are ErrandErrors: a task name that cannot be a path is InvalidTask, a bad input INVALID_ARGUMENT", () => {
    expect(() => buildTaskProcedureTree(["mail.enqueue"], () => ({}))).toThrow(InvalidTask);
    expect(() => buildTaskProcedureTree(["mail.send"], () => ({}))).not.toThrow();
    const input = new InvalidInputError([
      { code: "custom", path: ["args", 0], message: "Expected number", input: "x" },
    ]);
    expect(input).toBeInstanceOf(ErrandError);
    expect(input.code).toBe("INVALID_ARGUMENT");
    expect(input.message).toBe("args.0: Expected number");
  });
});
