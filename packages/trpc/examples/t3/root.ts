/**
 * create-t3-app's `src/server/api/root.ts` with Errand nested at `tasks`, built on the app's
 * `protectedProcedure`: its auth middleware runs first, its superjson and error formatter
 * apply, and the signed-in user is recorded as each task's creator.
 */
import { task } from "@errand/core";
import { createTaskRouter } from "@errand/trpc";
import { z } from "zod";
import { createCallerFactory, createTRPCRouter, protectedProcedure, publicProcedure } from "./trpc";

export const resizeImage = task({ name: "media.resize" }, async (url: string, width: number) => ({
  url: `${url}?w=${width}`,
}));

const postRouter = createTRPCRouter({
  hello: publicProcedure
    .input(z.object({ text: z.string() }))
    .query(({ input }) => ({ greeting: `Hello ${input.text}` })),
});

export const appRouter = createTRPCRouter({
  post: postRouter,
  tasks: createTaskRouter({
    procedure: protectedProcedure,
    tasks: [resizeImage],
    creator: ({ session }) => ({ type: "user", id: session.user.id }),
  }),
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
