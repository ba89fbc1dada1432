import { z } from "zod";
import { createTaskRouter, type AuthorizeRequest } from "@errand/trpc";
import { add, buildReport, chargeCard, sendWelcomeEmail } from "./errand";
import { isAllowed, type RequestContext } from "./auth";

/**
 * The app's task router, mounted at /api/trpc. Only the demo's tasks can be enqueued
 * through it; every call passes `authorize` (see lib/auth.ts).
 */
export const taskRouter = createTaskRouter({
  // A schema per task: stricter than the JSON check every task gets.
  tasks: [
    { task: add, schema: z.tuple([z.number().int(), z.number().int()]) },
    { task: sendWelcomeEmail, schema: z.tuple([z.number().int().positive(), z.email()]) },
    { task: chargeCard, schema: z.tuple([z.number().int().min(0).max(99)]) },
    { task: buildReport, schema: z.tuple([z.number().int().min(1).max(50)]) },
  ],
  // The context typed here rather than as createTaskRouter<RequestContext>(…), so that the
  // tasks' types are inferred too: `tasks.demo.add.enqueue` takes `[number, number]`.
  authorize: ({ ctx }: AuthorizeRequest<RequestContext>) => isAllowed(ctx),
  creator: (ctx) => (ctx.via === "token" ? { type: "api-token", id: "dashboard" } : { type: "local", id: "dev" }),
});

export type AppTaskRouter = typeof taskRouter;
