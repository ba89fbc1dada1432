import { describe, expectTypeOf, it } from "vitest";
import { createTRPCClient, httpBatchLink, type TRPCClient } from "@trpc/client";
import superjson from "superjson";
import { task } from "@errand/core";
import { createTaskRouter, type AuthorizeRequest, type ProcedureContext } from "../src/index";
import type { AppRouter } from "../examples/t3/root";
import type { publicProcedure } from "../examples/t3/trpc";
import { createTRPCRouter, protectedProcedure, type AppContext, type Session } from "../examples/t3/trpc";

const resize = task({ name: "media.resizeTyped" }, async (url: string, width: number) => ({ url, width }));

describe("createTaskRouter({ procedure })", () => {
  it("infers the context from the app's procedure, after its middleware", () => {
    expectTypeOf<ProcedureContext<typeof protectedProcedure>>().toHaveProperty("session").toEqualTypeOf<Session>();
    expectTypeOf<ProcedureContext<typeof publicProcedure>>().toHaveProperty("session").toEqualTypeOf<Session | null>();
    createTaskRouter({
      procedure: protectedProcedure,
      tasks: [resize],
      authorize: (request) => {
        expectTypeOf(request).toEqualTypeOf<AuthorizeRequest<ProcedureContext<typeof protectedProcedure>>>();
        expectTypeOf(request.ctx.session.user.id).toEqualTypeOf<string>();
        return true;
      },
      creator: (ctx) => ({ type: "user", id: ctx.session.user.id }),
    });
  });

  it("keeps each task's types once nested in the app's router, with its transformer", () => {
    const _app = createTRPCRouter({
      tasks: createTaskRouter({ procedure: protectedProcedure, tasks: [resize] }),
    });
    const client = createTRPCClient<typeof _app>({
      links: [httpBatchLink({ url: "http://localhost/api/trpc", transformer: superjson })],
    });
    expectTypeOf(client.tasks.tasks.media.resizeTyped.enqueue.mutate)
      .parameter(0)
      .toHaveProperty("args")
      .toEqualTypeOf<[url: string, width: number]>();
    type Result = Awaited<ReturnType<typeof client.tasks.tasks.media.resizeTyped.getResult.query>>;
    expectTypeOf<Result["returnValue"]>().toEqualTypeOf<{ url: string; width: number } | undefined>();
    expectTypeOf(client.tasks.watch.subscribe).toBeFunction();
    // @ts-expect-error -- no task of that name is listed
    void client.tasks.tasks.media.other;
  });

  it("the standalone router nests too, with authorize typed by its annotation", () => {
    const _app = createTRPCRouter({
      tasks: createTaskRouter({
        tasks: [resize],
        authorize: ({ ctx }: { ctx: AppContext }) => ctx.session !== null,
      }),
    });
    expectTypeOf<TRPCClient<typeof _app>["tasks"]["tasks"]["media"]["resizeTyped"]["enqueue"]["mutate"]>()
      .parameter(0)
      .toHaveProperty("args")
      .toEqualTypeOf<[url: string, width: number]>();
    expectTypeOf<AppRouter["_def"]["record"]>().toHaveProperty("post");
  });
});
