import { z } from "zod";
import { createTaskRouter } from "@errand/trpc";
import { resizeImage } from "~/server/tasks";
import { createTRPCRouter, protectedProcedure, publicProcedure } from "./trpc";

const postRouter = createTRPCRouter({
  hello: publicProcedure
    .input(z.object({ text: z.string() }))
    .query(({ input }) => ({ greeting: `Hello ${input.text}` })),
});

export const appRouter = createTRPCRouter({
  post: postRouter,
  // Errand's procedures on the app's protectedProcedure: its session check runs first.
  tasks: createTaskRouter({
    procedure: protectedProcedure,
    tasks: [resizeImage],
    creator: ({ session }) => ({ type: "user", id: session.user.id }),
  }),
});

export type AppRouter = typeof appRouter;
