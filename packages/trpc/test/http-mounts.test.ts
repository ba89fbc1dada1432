import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink, TRPCClientError } from "@trpc/client";
import { EventSource } from "eventsource";
import { sql } from "kysely";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { closeBackends, configure } from "@errand/core";
import { createTestDatabase, type TestDatabase } from "@errand/core/testing";
import { queries } from "@errand/core/internal";
import { withStreamLimit, type TaskRouter, type TaskWatchEvent } from "../src/index";
import { createApp, createContext, tasksRouter } from "../examples/express/server";

let tdb: TestDatabase;
const servers: Server[] = [];

function listen(server: Server): Promise<string> {
  servers.push(server);
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

/**
 * A bare Node server that hands each request to the fetch adapter, as Next's route handler
 * does. With `ownStreams`, `withStreamLimit` is given the context and serves `watch` itself.
 */
function fetchAdapterServer(options: { maxStreams?: number; ownStreams?: boolean } = {}): Server {
  const createContext = (req: Request) => ({ authorized: req.headers.get("authorization") === "Bearer dev-token" });
  const serve = (req: Request) =>
    fetchRequestHandler({
      endpoint: "/api/trpc",
      req,
      router: tasksRouter,
      maxBatchSize: 10,
      createContext: () => createContext(req),
    });
  const handler = withStreamLimit(serve, {
    router: tasksRouter,
    endpoint: "/api/trpc",
    maxStreams: options.maxStreams,
    createContext: options.ownStreams ? createContext : undefined,
  });
  return createServer((req, res) => void handle(req, res));
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const request = new Request(`http://${req.headers.host}${req.url}`, {
      method: req.method,
      headers: req.headers as Record<string, string>,
      body: req.method === "GET" || req.method === "HEAD" ? undefined : new Uint8Array(body),
    });
    // The stream of a `watch` ends when the client goes away, as in a real server.
    const gone = new AbortController();
    res.on("close", () => gone.abort());
    const response = await handler(new Request(request, { signal: gone.signal }));
    res.writeHead(response.status, Object.fromEntries(response.headers));
    // Streamed, not buffered: a subscription's response never ends by itself.
    const reader = response.body?.getReader();
    for (let read = await reader?.read(); read && !read.done; read = await reader!.read()) res.write(read.value);
    res.end();
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function client(url: string, token: string | null) {
  const headers = (): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});
  return createTRPCClient<TaskRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        // EventSource cannot send headers; this one fetches, so the token goes along.
        true: httpSubscriptionLink({
          url,
          EventSource,
          eventSourceOptions: () => ({
            fetch: (input, init) => fetch(input, { ...init, headers: { ...init.headers, ...headers() } }),
          }),
        }),
        false: httpBatchLink({ url, headers }),
      }),
    ],
  });
}

/** Subscribes to `watch`, collecting events, errors and connection states until stopped. */
function watch(api: ReturnType<typeof client>, input: Parameters<ReturnType<typeof client>["watch"]["subscribe"]>[0]) {
  const events: TaskWatchEvent[] = [];
  const errors: TRPCClientError<TaskRouter>[] = [];
  const states: string[] = [];
  let completed = false;
  const subscription = api.watch.subscribe(input, {
    onData: (event) => events.push(event),
    onError: (error) => errors.push(error),
    onComplete: () => (completed = true),
    onConnectionStateChange: (state) =>
      states.push(
        state.error
          ? `${state.state}:${(state.error as TRPCClientError<TaskRouter>).data?.code ?? state.error.message}`
          : state.state,
      ),
  });
  return { events, errors, states, completed: () => completed, stop: () => subscription.unsubscribe() };
}

async function countTasks(): Promise<number> {
  const row = await tdb.db
    .selectFrom("errand_tasks")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Claims the task as a worker would. */
async function claim(id: string): Promise<void> {
  await queries.taskClaimBatch(tdb.db, { queues: "*", ids: [id], limit: 1, workerId: "w", leaseSeconds: 60 });
}

/** Completes a claimed task as its worker would. */
async function complete(id: string): Promise<void> {
  await queries.taskComplete(tdb.db, { workerId: "w", results: [{ id, returnValue: "42" }] });
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  configure({ backends: { default: { backend: "database", url: tdb.url } } });
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  await closeBackends();
  await tdb.drop();
});

const mounts: [string, () => Promise<string>][] = [
  ["fetch adapter", async () => `${await listen(fetchAdapterServer())}/api/trpc`],
  [
    "fetch adapter, streams served by withStreamLimit",
    async () => `${await listen(fetchAdapterServer({ ownStreams: true }))}/api/trpc`,
  ],
  ["Express adapter (examples/express)", async () => `${await listen(createServer(createApp()))}/trpc`],
];

describe.each(mounts)("over HTTP with the %s", (_name, start) => {
  let url: string;
  beforeAll(async () => {
    url = await start();
  });

  it("enqueues, reads back and lists with ISO date strings", async () => {
    const api = client(url, "dev-token");
    const created = await api.enqueue.mutate({ task: "example.add", args: [20, 22] });
    expect(created).toMatchObject({ taskName: "example.add", status: "PENDING", args: [20, 22] });
    const read = await api.getResult.query({ id: created.id });
    expect(read.enqueuedAt).toBe(created.enqueuedAt);
    expect(typeof read.runAfter).toBe("string");
    const page = await api.list.query({ taskName: "example.add" });
    expect(page.items.some((t) => t.id === created.id)).toBe(true);
    const stats = await api.stats.query();
    expect(stats.throughput).toHaveLength(60);
    const cancelled = await api.cancel.mutate({ id: created.id });
    expect(cancelled.status).toBe("FAILED");
    expect((await api.retry.mutate({ id: created.id })).status).toBe("PENDING");
  });

  it("answers bad input with 400 and a readable message, never 500", async () => {
    const api = client(url, "dev-token");
    const error = await api.enqueue
      .mutate({ task: "example.add", args: [1, 2], options: { priority: 1000 } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCClientError);
    const e = error as TRPCClientError<TaskRouter>;
    expect(e.data?.httpStatus).toBe(400);
    expect(e.data?.code).toBe("BAD_REQUEST");
    // In the words of using() (core's rule), per input path.
    const says = "must be an integer from -100 to 100 (higher runs first), got 1000";
    expect(e.message).toBe(`options.priority: ${says}`);
    expect(e.data?.issues).toEqual([{ path: "options.priority", message: says }]);

    const raw = await fetch(`${url}/enqueue`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer dev-token" },
      body: "{not json",
    });
    expect(raw.status).toBe(400);
  });

  it("answers an unknown id with 404 and a missing token with 403", async () => {
    const notFound = await client(url, "dev-token")
      .getResult.query({ id: "00000000-0000-4000-8000-000000000000" })
      .catch((e: unknown) => e);
    expect((notFound as TRPCClientError<TaskRouter>).data?.httpStatus).toBe(404);
    expect((notFound as TRPCClientError<TaskRouter>).data?.errandCode).toBe("TASK_RESULT_DOES_NOT_EXIST");
    const forbidden = await client(url, null)
      .stats.query()
      .catch((e: unknown) => e);
    expect((forbidden as TRPCClientError<TaskRouter>).data?.httpStatus).toBe(403);
  });
  it("answers a refused caller with the same 403 whatever its input, and stores nothing", async () => {
    const before = await countTasks();
    const post = (path: string, body: string) =>
      fetch(`${url}/${path}`, { method: "POST", headers: { "content-type": "application/json" }, body });
    const bodies = new Set<string>();
    for (const body of [
      JSON.stringify({ task: "example.add", args: [1, 2] }),
      JSON.stringify({ task: "no.such.task", args: [] }),
      JSON.stringify({ task: "example.add", args: [1, 2], options: { priority: 1000 } }),
      JSON.stringify({ nonsense: true }),
      "{not json",
    ]) {
      const response = await post("enqueue", body);
      expect(response.status).toBe(403);
      bodies.add(await response.text());
    }
    // One answer, naming no task and repeating nothing of the input.
    expect(bodies.size).toBe(1);
    const [only] = [...bodies];
    expect(only).toContain("Not allowed to enqueue.");
    expect(only).not.toMatch(/example\.add|no\.such|priority|issues":\[/);
    for (const input of [{ id: "00000000-0000-4000-8000-000000000000" }, { id: "" }]) {
      const response = await fetch(`${url}/getResult?input=${encodeURIComponent(JSON.stringify(input))}`);
      expect(response.status).toBe(403);
    }
    expect(await countTasks()).toBe(before);
  });

  it("keeps refusing oversized batches and bodies, other media types and unknown procedures", async () => {
    const batch = Array.from({ length: 11 }, () => "stats").join(",");
    const tooMany = await fetch(`${url}/${batch}?batch=1&input={}`, { headers: { authorization: "Bearer dev-token" } });
    expect(tooMany.status).toBe(400);
    const text = await fetch(`${url}/enqueue`, {
      method: "POST",
      headers: { "content-type": "text/plain", authorization: "Bearer dev-token" },
      body: "hello",
    });
    expect(text.status).toBe(415);
    const unknown = await fetch(`${url}/nope`, { headers: { authorization: "Bearer dev-token" } });
    expect(unknown.status).toBe(404);
  });
});

describe.each(mounts)("watch over SSE with the %s", (_name, start) => {
  let url: string;
  beforeAll(async () => {
    url = await start();
  });

  // Each event is the task as stored when the server read it: a change quicker than the
  // read (RUNNING for a millisecond) may be seen only as its outcome.
  it("pushes a task's states as they are stored, and ends the stream once it finished", async () => {
    const api = client(url, "dev-token");
    const created = await api.enqueue.mutate({ task: "example.add", args: [1, 2] });
    const watching = watch(api, { id: created.id });
    try {
      await expect.poll(() => watching.events.map((e) => e.type === "task" && e.task.status)).toEqual(["PENDING"]);
      await claim(created.id);
      await expect.poll(() => watching.events.length).toBe(2);
      await complete(created.id);
      await expect
        .poll(() => watching.events.map((e) => e.type === "task" && e.task.status))
        .toEqual(["PENDING", "RUNNING", "SUCCESSFUL"]);
      const last = watching.events.at(-1)!;
      expect(last.type === "task" && last.task.returnValue).toBe(42);
      await expect.poll(watching.completed).toBe(true);
    } finally {
      watching.stop();
    }
  });

  it("pushes which tasks matching the filters changed", async () => {
    const api = client(url, "dev-token");
    const watching = watch(api, { status: "FAILED" });
    try {
      await expect.poll(() => watching.events).toEqual([{ type: "resync", reason: "subscribed" }]);
      const kept = await api.enqueue.mutate({ task: "example.add", args: [3, 4] });
      const cancelled = await api.enqueue.mutate({ task: "example.add", args: [5, 6] });
      await api.cancel.mutate({ id: cancelled.id });
      await expect.poll(() => watching.events.length).toBe(2);
      expect(watching.events[1]).toEqual({
        type: "changes",
        changes: [
          {
            id: cancelled.id,
            status: "FAILED",
            previousStatus: "PENDING",
            queueName: "default",
            taskName: "example.add",
          },
        ],
      });
      await api.retry.mutate({ id: cancelled.id });
      await expect.poll(() => watching.events.length).toBe(3);
      expect(watching.events[2]).toMatchObject({
        type: "changes",
        changes: [{ id: cancelled.id, status: "PENDING", previousStatus: "FAILED" }],
      });
      expect(JSON.stringify(watching.events)).not.toContain(kept.id);
    } finally {
      watching.stop();
    }
  });

  it("refuses a watcher without the token with the same event whatever its input", async () => {
    const bodies = new Set<string>();
    for (const input of [
      "{}",
      JSON.stringify({ id: "00000000-0000-4000-8000-000000000000" }),
      JSON.stringify({ status: "NOPE", taskName: "secret.task" }),
      "{not json",
    ]) {
      const response = await fetch(`${url}/watch?input=${encodeURIComponent(input)}`, {
        headers: { accept: "text/event-stream" },
      });
      expect(response.status).toBe(200);
      // The stream ends after the error: the whole body is the answer.
      bodies.add(await response.text());
    }
    expect(bodies.size).toBe(1);
    const [only] = [...bodies];
    expect(only).toMatch(/event: serialized-error\ndata: .*"FORBIDDEN"/);
    expect(only).toContain("Not allowed to watch.");
    expect(only).not.toMatch(/NOPE|secret|00000000|not json/);
  });

  it("refuses a watcher without the token, and tells one to poll while the feed is down", async () => {
    const refused = watch(client(url, null), {});
    await expect.poll(() => refused.errors.map((e) => e.data?.code)).toEqual(["FORBIDDEN"]);
    refused.stop();

    const api = client(url, "dev-token");
    const watching = watch(api, {});
    try {
      await expect.poll(() => watching.events.length).toBe(1);
      await sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE application_name = 'errand-feed' AND datname = current_database()`.execute(tdb.db);
      // SERVICE_UNAVAILABLE is retryable: the client shows "connecting" and reconnects by itself.
      await expect.poll(() => watching.states).toContain("connecting:SERVICE_UNAVAILABLE");
      await expect.poll(() => watching.events.filter((e) => e.type === "resync").length, { timeout: 10_000 }).toBe(2);
      const created = await api.enqueue.mutate({ task: "example.add", args: [7, 8] });
      await expect
        .poll(() => watching.events.some((e) => e.type === "changes" && e.changes.some((c) => c.id === created.id)))
        .toBe(true);
      expect(watching.errors).toEqual([]);
    } finally {
      watching.stop();
    }
  });
});

it("reads the bearer token in the Express example's context", () => {
  const ctx = createContext({ req: { headers: { authorization: "Bearer dev-token" } } } as never);
  expect(ctx.authorized).toBe(true);
});

describe("the cap on open streams (withStreamLimit)", () => {
  /** Opens a raw SSE stream and waits for its first event: the stream is being served. */
  async function openStream(url: string, signal: AbortSignal): Promise<Response> {
    const response = await fetch(`${url}/watch?input=${encodeURIComponent("{}")}`, {
      headers: { authorization: "Bearer dev-token", accept: "text/event-stream" },
      signal,
    });
    if (response.status === 200) {
      const reader = response.body!.getReader();
      let text = "";
      while (!text.includes("subscribed")) text += new TextDecoder().decode((await reader.read()).value);
      reader.releaseLock();
    }
    return response;
  }

  it.each([
    ["served by the handler (tRPC's SSE)", false],
    ["served by withStreamLimit", true],
  ])(
    "answers a stream past the cap with 503 and Retry-After, and takes one again once a stream closes (%s)",
    async (_name, ownStreams) => {
      const url = `${await listen(fetchAdapterServer({ maxStreams: 2, ownStreams }))}/api/trpc`;
      const first = new AbortController();
      const second = new AbortController();
      expect((await openStream(url, first.signal)).status).toBe(200);
      expect((await openStream(url, second.signal)).status).toBe(200);
      const refused = await openStream(url, new AbortController().signal);
      expect(refused.status).toBe(503);
      expect(refused.headers.get("retry-after")).toBe("5");
      expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/holds 2 streams/);
      // Calls that are not streams pass.
      expect((await fetch(`${url}/stats`, { headers: { authorization: "Bearer dev-token" } })).status).toBe(200);
      first.abort();
      const third = new AbortController();
      await expect.poll(async () => (await openStream(url, third.signal)).status).toBe(200);
      second.abort();
      third.abort();
    },
  );

  it("refuses a cap that is not a whole number", () => {
    expect(() =>
      withStreamLimit(async () => new Response(), { router: tasksRouter, endpoint: "/x", maxStreams: -1 }),
    ).toThrow(/maxStreams/);
  });
});
