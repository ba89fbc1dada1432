import express from "express";
import { createExpressMiddleware } from "@trpc/server/adapters/express";
import { createTaskRouter } from "@errand/trpc";
import { greet } from "./tasks.mjs";

export const TOKEN = "consumer-token";

export const tasksRouter = createTaskRouter({
  tasks: [greet],
  authorize: ({ ctx }) => ctx.authorized,
});

export function createApp() {
  const app = express();
  app.use(
    "/trpc",
    createExpressMiddleware({
      router: tasksRouter,
      createContext: ({ req }) => ({ authorized: req.headers.authorization === `Bearer ${TOKEN}` }),
    }),
  );
  return app;
}
