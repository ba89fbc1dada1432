// Errand's types against tRPC 11.1's: the procedure form infers the app's context, the
// nested router keeps each task's argument and return types.
import { initTRPC, TRPCError } from "@trpc/server";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import superjson from "superjson";
import { task } from "@errand/core";
import { createTaskRouter } from "@errand/trpc";

const resize = task({ name: "media.resizeTyped" }, async (url: string, width: number) => ({ url, width }));
const t = initTRPC.context<{ session: { userId: string } | null }>().create({ transformer: superjson });
const protectedProcedure = t.procedure.use(({ ctx, next }) => {
  if (!ctx.session) throw new TRPCError({ code: "UNAUTHORIZED" });
  return next({ ctx: { session: ctx.session } });
});
const appRouter = t.router({
  tasks: createTaskRouter({
    procedure: protectedProcedure,
    tasks: [resize],
    authorize: ({ ctx }) => ctx.session.userId.length > 0,
  }),
});
const client = createTRPCClient<typeof appRouter>({
  links: [httpBatchLink({ url: "http://localhost/api/trpc", transformer: superjson })],
});
export async function typed(): Promise<string | undefined> {
  const record = await client.tasks.tasks.media.resizeTyped.enqueue.mutate({ args: ["/a.png", 1] });
  const result = await client.tasks.tasks.media.resizeTyped.getResult.query({ id: record.id });
  const url: string | undefined = result.returnValue?.url;
  // @ts-expect-error -- width is a number
  await client.tasks.tasks.media.resizeTyped.enqueue.mutate({ args: ["/a.png", "wide"] });
  return url;
}
