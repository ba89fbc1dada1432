import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  closeBackends,
  configure,
  ErrandError,
  ERROR_CODES,
  InvalidArgument,
  task,
  transaction,
  UniqueKeyContended,
} from "@errand/core";
import { mayRetry } from "@errand/core/internal";

beforeAll(() => configure({ backends: { default: { backend: "immediate" } } }));
afterAll(() => closeBackends());

const badProgress = task({ name: "errors.badProgress", takesContext: true }, async (ctx, done: number) => {
  try {
    await ctx.setProgress(done);
    return "stored";
  } catch (error) {
    return `${(error as Error).constructor.name} ${(error as ErrandError).code} ${(error as Error).message}`;
  }
});

describe("errors Errand throws", () => {
  it("are ErrandErrors with a code from the table: bad setProgress and onCommit arguments are INVALID_ARGUMENT", async () => {
    const result = await badProgress.enqueue(-1);
    expect(result.returnValue).toBe(
      "InvalidArgument INVALID_ARGUMENT setProgress(done, total): done must be a non-negative number, got -1.",
    );
    expect((await badProgress.enqueue(1)).returnValue).toBe("stored");

    const thrown = await transaction.onCommit(42 as unknown as () => void).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(InvalidArgument);
    expect((thrown as ErrandError).code).toBe(ERROR_CODES.INVALID_ARGUMENT);

    const contended = new UniqueKeyContended();
    expect(contended).toBeInstanceOf(ErrandError);
    expect(Object.values(ERROR_CODES)).toContain(contended.code);
  });

  it("has no code that no error carries: each one is given to an error somewhere in the sources", () => {
    const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
    const sources = ["packages/core/src", "packages/trpc/src", "worker/src"].flatMap((dir) =>
      readdirSync(path.join(root, dir), { recursive: true, encoding: "utf8" })
        .filter((file) => /\.m?ts$/.test(file))
        .map((file) => readFileSync(path.join(root, dir, file), "utf8")),
    );
    // The table declares `CODE: "CODE"`; an error class or a thrower says `ERROR_CODES.CODE`.
    const unused = Object.keys(ERROR_CODES).filter(
      (code) => !sources.some((text) => text.includes(`ERROR_CODES.${code}`)),
    );
    expect(unused).toEqual([]);
  });

  it("mayRetry rules out DoNotRetry, a non-JSON return value, an unregistered task and a cancel, also by code", () => {
    expect(mayRetry(new Error("flaky"))).toBe(true);
    expect(mayRetry("a string")).toBe(true);
    for (const code of [ERROR_CODES.DO_NOT_RETRY, ERROR_CODES.INVALID_RETURN_VALUE]) {
      // As an isolated thread hands it back: a plain Error carrying the code.
      expect(mayRetry(Object.assign(new Error("x"), { code }))).toBe(false);
      expect(mayRetry(new ErrandError(code, "x"))).toBe(false);
    }
  });
});
