import type { z } from "zod";

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
