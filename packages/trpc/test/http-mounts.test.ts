import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTRPCClient, httpBatchLink, TRPCClientError } from "@trpc/client";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { closeBackends, configure } from "@errand/core";
import { createTestDatabase, type TestDatabase } from "@errand/core/testing";
import type { TaskRouter } from "../src/index";
import { createApp, createContext, tasksRouter } from "../examples/express/server";

let tdb: TestDatabase;
const servers: Server[] = [];

function listen(server: Server): Promise<string> {
  servers.push(server);
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

/** A bare Node server that hands each request to the fetch adapter, as Next's route handler does. */
function fetchAdapterServer(): Server {
  return createServer((req, res) => void handle(req, res));
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const request = new Request(`http://${req.headers.host}${req.url}`, {
      method: req.method,
      headers: req.headers as Record<string, string>,
      body: req.method === "GET" || req.method === "HEAD" ? undefined : new Uint8Array(body),
    });
    const response = await fetchRequestHandler({
      endpoint: "/api/trpc",
      req: request,
      router: tasksRouter,
      createContext: () => ({ authorized: request.headers.get("authorization") === "Bearer dev-token" }),
    });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
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
  return createTRPCClient<TaskRouter>({
    links: [httpBatchLink({ url, headers: () => (token ? { authorization: `Bearer ${token}` } : {}) })],
  });
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
    expect(e.message).toBe("options.priority: Too big: expected number to be <=100");
    expect(e.data?.issues).toEqual([{ path: "options.priority", message: "Too big: expected number to be <=100" }]);

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
});

it("reads the bearer token in the Express example's context", () => {
  const ctx = createContext({ req: { headers: { authorization: "Bearer dev-token" } } } as never);
  expect(ctx.authorized).toBe(true);
});
