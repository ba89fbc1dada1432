/**
 * create-t3-app's `src/server/api/trpc.ts`, cut down: superjson, a context with the
 * session, an error formatter that flattens zod errors, and `protectedProcedure`.
 */
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { ZodError } from "zod";

export interface Session {
  user: { id: string; name: string };
}

/** What every request's context holds (t3 also puts `db` here). */
export interface AppContext {
  session: Session | null;
  headers: Headers;
}

/** The session from a bearer token; a real app reads its auth cookie here. */
export function createTRPCContext({ headers }: { headers: Headers }): AppContext {
  const token = headers.get("authorization");
  return { headers, session: token === "Bearer alice" ? { user: { id: "u_alice", name: "Alice" } } : null };
}

const t = initTRPC.context<AppContext>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    return {
      ...shape,
      data: { ...shape.data, zodError: error.cause instanceof ZodError ? error.cause.flatten() : null },
    };
  },
});

export const createCallerFactory = t.createCallerFactory;
export const createTRPCRouter = t.router;
export const publicProcedure = t.procedure;

/** Only for signed-in users; `ctx.session` is non-null after it. */
export const protectedProcedure = t.procedure.use(({ ctx, next }) => {
  if (!ctx.session) throw new TRPCError({ code: "UNAUTHORIZED" });
  return next({ ctx: { session: ctx.session } });
});
