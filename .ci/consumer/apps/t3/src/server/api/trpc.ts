// create-t3-app's src/server/api/trpc.ts, cut down: the session from a cookie instead of
// NextAuth, superjson, the zod-flattening error formatter, protectedProcedure.
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { ZodError } from "zod";

export interface Session {
  user: { id: string };
}

export function createTRPCContext({ headers }: { headers: Headers }) {
  const cookie = headers.get("cookie") ?? "";
  const user = /(?:^|;\s*)session=([\w-]+)/.exec(cookie)?.[1];
  const session: Session | null = user ? { user: { id: user } } : null;
  return { session, headers };
}

const t = initTRPC.context<typeof createTRPCContext>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    return {
      ...shape,
      data: { ...shape.data, zodError: error.cause instanceof ZodError ? error.cause.flatten() : null },
    };
  },
});

export const createTRPCRouter = t.router;
export const publicProcedure = t.procedure;
export const protectedProcedure = t.procedure.use(({ ctx, next }) => {
  if (!ctx.session) throw new TRPCError({ code: "UNAUTHORIZED" });
  return next({ ctx: { session: ctx.session } });
});
