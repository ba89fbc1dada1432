// The app's own tRPC (create-t3-app's shape): superjson, a session in the context, an error
// formatter, protectedProcedure; Errand's procedures built on it and nested at `tasks`.
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { z } from "zod";
import { createTaskRouter } from "@errand/trpc";
import { resize } from "./tasks.mjs";

export function createContext({ req }) {
  const signedIn = req.headers.get("authorization") === "Bearer alice";
  return { session: signedIn ? { user: { id: "u_alice" } } : null };
}

const t = initTRPC.context().create({
  transformer: superjson,
  errorFormatter: ({ shape }) => ({ ...shape, data: { ...shape.data, app: "oldest" } }),
});
const protectedProcedure = t.procedure.use(({ ctx, next }) => {
  if (!ctx.session) throw new TRPCError({ code: "UNAUTHORIZED" });
  return next({ ctx: { session: ctx.session } });
});

export const appRouter = t.router({
  post: t.router({
    hello: t.procedure.input(z.object({ text: z.string() })).query(({ input }) => `Hello ${input.text}`),
  }),
  tasks: createTaskRouter({
    procedure: protectedProcedure,
    tasks: [resize],
    creator: ({ session }) => ({ type: "user", id: session.user.id }),
  }),
});

/** Errand's own router, standalone: the other mounting style. */
export const standaloneRouter = createTaskRouter({
  tasks: [resize],
  authorize: ({ ctx }) => ctx.session !== null,
});
