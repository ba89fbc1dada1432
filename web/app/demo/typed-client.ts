import { createTRPCClient, httpBatchLink } from "@trpc/client";
import type { AppTaskRouter } from "@/lib/task-router";

/**
 * A tRPC client typed by the app's router: `typedClient.tasks.demo.add.enqueue.mutate({ args })`
 * checks `args` against `add`'s parameters at compile time, and `returnValue` is a number.
 * Batches hold at most 10 calls, the server's `maxBatchSize`.
 */
export const typedClient = createTRPCClient<AppTaskRouter>({
  links: [httpBatchLink({ url: "/api/trpc", maxItems: 10 })],
});
