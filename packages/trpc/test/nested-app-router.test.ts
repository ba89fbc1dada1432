import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink, TRPCClientError } from "@trpc/client";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { EventSource } from "eventsource";
import superjson from "superjson";
import { closeBackends, configure } from "@errand/core";
import { createTestDatabase, type TestDatabase } from "@errand/core/testing";
import { queries } from "@errand/core/internal";
import { createErrandClient } from "@errand/react";
import type { TaskWatchEvent } from "../src/index";
import { appRouter, createCaller, type AppRouter } from "../examples/t3/root";
import { createTRPCContext } from "../examples/t3/trpc";

// Errand nested in a create-t3-app router at `tasks`, built on its protectedProcedure: the
// app's auth middleware, context, superjson and error formatter apply to Errand's procedures.

let tdb: TestDatabase;
let server: Server;
let url: string;

function handle(req: IncomingMessage, res: ServerResponse): void {
  void (async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const gone = new AbortController();
    res.on("close", () => gone.abort());
    const request = new Request(`http://${req.headers.host}${req.url}`, {
      method: req.method,
      headers: req.headers as Record<string, string>,
      body: req.method === "GET" ? undefined : new Uint8Array(Buffer.concat(chunks)),
      signal: gone.signal,
    });
    const response = await fetchRequestHandler({
      endpoint: "/api/trpc",
      req: request,
      router: appRouter,
      createContext: () => createTRPCContext({ headers: request.headers }),
    });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    const reader = response.body?.getReader();
    for (let read = await reader?.read(); read && !read.done; read = await reader!.read()) res.write(read.value);
    res.end();
  })();
}

function appClient(token: string | null) {
  const headers = (): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: httpSubscriptionLink({
          url,
          transformer: superjson,
          EventSource,
          eventSourceOptions: () => ({
            fetch: (input, init) => fetch(input, { ...init, headers: { ...init.headers, ...headers() } }),
          }),
        }),
        false: httpBatchLink({ url, transformer: superjson, headers }),
      }),
    ],
  });
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  configure({ backends: { default: { backend: "database", url: tdb.url } } });
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/trpc`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await closeBackends();
  await tdb?.drop();
});

const signedIn = () => createCaller(createTRPCContext({ headers: new Headers({ authorization: "Bearer alice" }) }));
const anonymous = () => createCaller(createTRPCContext({ headers: new Headers() }));

describe("createTaskRouter({ procedure }) nested in a create-t3-app router", () => {
  it("enqueues through the app's protectedProcedure, recording the signed-in user", async () => {
    const record = await signedIn().tasks.tasks.media.resize.enqueue({ args: ["/a.png", 100] });
    expect(record.status).toBe("PENDING");
    expect(record.creator).toEqual({ type: "user", id: "u_alice" });
    const again = await signedIn().tasks.getResult({ id: record.id });
    expect(again.args).toEqual(["/a.png", 100]);
    // The app's own procedures sit beside Errand's.
    expect(await signedIn().post.hello({ text: "t3" })).toEqual({ greeting: "Hello t3" });
  });

  it("refuses an unauthenticated call in the app's middleware (UNAUTHORIZED), before anything is stored", async () => {
    const before = (await signedIn().tasks.stats()).byStatus;
    await expect(anonymous().tasks.enqueue({ task: "media.resize", args: ["/b.png", 1] })).rejects.toMatchObject({
      code: "UNAUTHORIZED",
    });
    await expect(anonymous().tasks.list()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    expect((await signedIn().tasks.stats()).byStatus).toEqual(before);
  });

  it("validates input as the standalone router does", async () => {
    await expect(
      signedIn().tasks.enqueue({ task: "media.resize", args: ["/c.png", 1], options: { priority: 1000 } }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(signedIn().tasks.enqueue({ task: "nope", args: [] })).rejects.toThrow(/Unknown task "nope"/);
  });

  it("over HTTP with superjson: the app's error formatter shapes Errand's errors too", async () => {
    const alice = appClient("alice");
    const record = await alice.tasks.enqueue.mutate({ task: "media.resize", args: ["/d.png", 2] });
    expect((await alice.tasks.getResult.query({ id: record.id })).id).toBe(record.id);
    const error = await appClient(null)
      .tasks.stats.query()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCClientError);
    expect((error as TRPCClientError<AppRouter>).data?.code).toBe("UNAUTHORIZED");
    const missing = await alice.tasks.getResult
      .query({ id: "00000000-0000-4000-8000-000000000000" })
      .catch((e: unknown) => e);
    expect((missing as TRPCClientError<AppRouter>).data?.code).toBe("NOT_FOUND");
    // `zodError` is the app's formatter's own field: it ran on Errand's error.
    expect((missing as TRPCClientError<AppRouter>).data).toHaveProperty("zodError", null);
  });

  it("the React client points at the app's endpoint, path and transformer, and `watch` streams there", async () => {
    const client = createErrandClient({
      url,
      path: "tasks",
      transformer: superjson,
      headers: { authorization: "Bearer alice" },
    });
    const record = await client.enqueue.mutate({ task: "media.resize", args: ["/e.png", 3] });
    expect((await client.getResult.query({ id: record.id })).status).toBe("PENDING");

    const events: TaskWatchEvent[] = [];
    const errors: unknown[] = [];
    let completed = false;
    const subscription = client.watch.subscribe(
      { id: record.id },
      { onData: (e) => events.push(e), onError: (e) => errors.push(e), onComplete: () => (completed = true) },
    );
    try {
      await waitFor(() => events.some((e) => e.type === "task"));
      await queries.taskClaimBatch(tdb.db, {
        queues: "*",
        ids: [record.id],
        limit: 1,
        workerId: "w",
        leaseSeconds: 60,
      });
      await queries.taskComplete(tdb.db, { workerId: "w", results: [{ id: record.id, returnValue: '{"url":"x"}' }] });
      await waitFor(() => completed);
      const statuses = events.flatMap((e) => (e.type === "task" ? [e.task.status] : []));
      expect(statuses.at(-1)).toBe("SUCCESSFUL");
      expect(errors).toEqual([]);
    } finally {
      subscription.unsubscribe();
    }

    // Unauthenticated, through the same nested path: the app's middleware refuses.
    const anon = createErrandClient({ url, path: "tasks", transformer: superjson });
    await expect(anon.stats.query()).rejects.toMatchObject({ data: { code: "UNAUTHORIZED" } });
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 25));
  }
}
