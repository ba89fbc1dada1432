import type { z } from "zod";
import { InvalidArgument } from "@errand/core";

/**
 * One readable line per problem, e.g. `args.0: Expected number, received string` —
 * what a BAD_REQUEST says instead of zod's JSON dump.
 */
export function formatZodIssues(issues: readonly z.core.$ZodIssue[], prefix?: string): string {
  return issues
    .map((issue) => {
      const path = [...(prefix ? [prefix] : []), ...issue.path.map(String)].join(".");
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join("; ");
}

/** What a failed input parse throws: a readable message, the issues kept for the client. */
export class InvalidInputError extends InvalidArgument {
  readonly issues: readonly z.core.$ZodIssue[];
  constructor(issues: readonly z.core.$ZodIssue[]) {
    super(formatZodIssues(issues));
    this.issues = issues;
  }
}

/**
 * The same schema, but its failures read `limit: Too big: expected number to be <=500`
 * instead of zod's JSON dump — for `createCaller` users as much as HTTP clients
 * (tRPC calls `parseAsync` and wraps what it throws in a BAD_REQUEST).
 */
export function readableInput<S extends z.ZodType>(schema: S): S {
  const wrapped = Object.create(schema) as S;
  Object.defineProperty(wrapped, "parseAsync", {
    value: async (value: unknown) => {
      const result = await schema.safeParseAsync(value);
      if (!result.success) throw new InvalidInputError(result.error.issues);
      return result.data;
    },
  });
  return wrapped;
}
