import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initTRPC, TRPCError } from "@trpc/server";
import { closeBackends, configure, task } from "@errand/core";
import { createTestDatabase, type TestDatabase } from "@errand/core/testing";
import { createTaskRouter, withStreamLimit } from "../src/index";

// `watch` served by withStreamLimit itself (given the context): the router here is an app's
// own, with a transformer and a short ping, and Errand nested in it on the app's procedure.

interface Ctx {
  user: string | null;
}

const add = task({ name: "serve-test.add" }, async (a: number, b: number) => a + b);

/** What the transformer was asked to serialize, by event type. */
const serialized: string[] = [];
const t = initTRPC.context<Ctx>().create({
  transformer: {
    serialize: (value: unknown) => {
      serialized.push((value as { type?: string } | null)?.type ?? "other");
      return value;
    },
    deserialize: (value: unknown) => value,
  },
  sse: { ping: { enabled: true, intervalMs: 200 }, client: { reconnectAfterInactivityMs: 1000 } },
});
const signedIn = t.procedure.use(({ ctx, next }) => {
  if (!ctx.user) throw new TRPCError({ code: "UNAUTHORIZED" });
  return next({ ctx });
});
const appRouter = t.router({ tasks: t.router(createTaskRouter({ procedure: signedIn, tasks: [add] })) });

let tdb: TestDatabase;
let server: Server;
let url: string;

beforeAll(async () => {
  tdb = await createTestDatabase();
  configure({ backends: { default: { backend: "database", url: tdb.url } } });
  const createContext = (req: Request): Ctx => ({
    user: req.headers.get("authorization") === "Bearer ok" ? "u" : null,
  });
  const handler = withStreamLimit(async () => new Response("not a stream", { status: 418 }), {
    router: appRouter,
    endpoint: "/api/trpc",
    createContext,
  });
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const gone = new AbortController();
      res.on("close", () => gone.abort());
      const request = new Request(`http://${req.headers.host}${req.url}`, {
        headers: req.headers as Record<string, string>,
        signal: gone.signal,
      });
      const response = await handler(request);
      res.writeHead(response.status, Object.fromEntries(response.headers));
      const reader = response.body!.getReader();
      for (let read = await reader.read(); !read.done; read = await reader.read()) res.write(read.value);
      res.end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/trpc`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await closeBackends();
  await tdb.drop();
});

/** A raw SSE stream: its text so far, and a way to leave. */
function openStream(input: object, token = "ok") {
  const leave = new AbortController();
  const stream = { text: "", status: 0, leave: () => leave.abort() };
  void (async () => {
    const response = await fetch(`${url}/tasks.watch?input=${encodeURIComponent(JSON.stringify(input))}`, {
      headers: { accept: "text/event-stream", authorization: `Bearer ${token}` },
      signal: leave.signal,
    });
    stream.status = response.status;
    const decoder = new TextDecoder();
    const reader = response.body!.getReader();
    for (let read = await reader.read(); !read.done; read = await reader.read())
      stream.text += decoder.decode(read.value);
  })().catch(() => undefined);
  return stream;
}

describe("watch served by withStreamLimit", () => {
  it("serializes a change once for all the streams of the same filters", async () => {
    const streams = [openStream({}), openStream({}), openStream({})];
    try {
      for (const s of streams) await expect.poll(() => s.text).toContain('"subscribed"');
      serialized.length = 0;
      const record = await add.enqueue(1, 2);
      for (const s of streams) await expect.poll(() => s.text).toContain(`"id":"${record.id}"`);
      expect(serialized.filter((type) => type === "changes")).toEqual(["changes"]);
      expect(streams[0]!.text).toMatch(/^event: connected\ndata: \{"reconnectAfterInactivityMs":1000\}\n\n/);
    } finally {
      for (const s of streams) s.leave();
    }
  });

  it("pings a quiet stream", async () => {
    const stream = openStream({ taskName: "serve-test.nothing" });
    try {
      await expect.poll(() => stream.text, { timeout: 2000 }).toContain("event: ping\ndata: \n\n");
    } finally {
      stream.leave();
    }
  });

  it("runs the app's middleware first: its error is the stream's error", async () => {
    const stream = openStream({}, "wrong");
    await expect.poll(() => stream.text).toMatch(/event: serialized-error\ndata: .*"UNAUTHORIZED"/);
    stream.leave();
  });
});
