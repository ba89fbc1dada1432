/**
 * Errand's task router in an Express app: the whole integration is one `app.use`.
 *
 *   DATABASE_URL=postgres://… npx tsx packages/trpc/examples/express/server.ts
 *   curl 'http://127.0.0.1:4000/trpc/stats' -H 'authorization: Bearer dev-token'
 *   curl -X POST 'http://127.0.0.1:4000/trpc/enqueue' -H 'authorization: Bearer dev-token' \
 *        -H 'content-type: application/json' -d '{"task":"example.add","args":[1,2]}'
 */
import express from "express";
import type { Request } from "express";
import { createExpressMiddleware } from "@trpc/server/adapters/express";
import { configure, task } from "@errand/core";
import { createTaskRouter } from "@errand/trpc";

export const add = task({ name: "example.add" }, async (a: number, b: number) => a + b);

/** Who is asking: here a bearer token compared with ERRAND_API_TOKEN; use your session instead. */
export interface ExampleContext {
  authorized: boolean;
}

export function createContext({ req }: { req: Request }): ExampleContext {
  const token = process.env.ERRAND_API_TOKEN ?? "dev-token";
  return { authorized: req.headers.authorization === `Bearer ${token}` };
}

export const tasksRouter = createTaskRouter<ExampleContext>({
  tasks: [add],
  authorize: ({ ctx }) => ctx.authorized,
});

/** The Express app with the router mounted at `/trpc`. */
export function createApp(): express.Express {
  const app = express();
  app.use(
    "/trpc",
    createExpressMiddleware({
      router: tasksRouter,
      createContext,
      // No request fans out into more than 10 calls, nor carries more than 256 KB.
      maxBatchSize: 10,
      maxBodySize: 256 * 1024,
    }),
  );
  return app;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  configure({ backends: { default: { backend: "database", url: process.env.DATABASE_URL } } });
  const port = Number(process.env.PORT ?? 4000);
  createApp().listen(port, "127.0.0.1", () => console.log(`Errand tasks router on http://127.0.0.1:${port}/trpc`));
}
