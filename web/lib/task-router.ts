import { z } from "zod";
import { createTaskRouter } from "@errand/trpc";
import { add, buildReport, chargeCard, sendWelcomeEmail } from "./errand";
import { isAllowed, type RequestContext } from "./auth";

/**
 * The app's task router, mounted at /api/trpc. Only the demo's tasks can be enqueued
 * through it; every call passes `authorize` (see lib/auth.ts).
 */
export const taskRouter = createTaskRouter<RequestContext>({
  // A schema per task: stricter than the JSON check every task gets.
  tasks: [
    { task: add, schema: z.tuple([z.number().int(), z.number().int()]) },
    { task: sendWelcomeEmail, schema: z.tuple([z.number().int().positive(), z.email()]) },
    { task: chargeCard, schema: z.tuple([z.number().int().min(0).max(99)]) },
    { task: buildReport, schema: z.tuple([z.number().int().min(1).max(50)]) },
  ],
  authorize: ({ ctx }) => isAllowed(ctx),
  creator: (ctx) => (ctx.via === "token" ? { type: "api-token", id: "dashboard" } : { type: "local", id: "dev" }),
});

export type AppTaskRouter = typeof taskRouter;
