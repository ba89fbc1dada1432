// tRPC 11.1 (the oldest minor Errand supports): the app's router with Errand nested on its
// protectedProcedure and Errand's standalone router, both over HTTP with the fetch adapter;
// a --batch worker runs the tasks; the React package's client follows one through `watch`;
// a backend class of the app's own takes enqueue()/getResult().
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import superjson from "superjson";
import { closeBackends, configure, getBackend } from "@errand/core";
import { createErrandClient } from "@errand/react";
import { appRouter, createContext, standaloneRouter } from "./app-router.mjs";
import { MapBackend } from "./custom-backend.mjs";
import { resize } from "./tasks.mjs";

const trpcVersion = JSON.parse(execFileSync("npm", ["ls", "@trpc/server", "--json"], { encoding: "utf8" }))
  .dependencies["@trpc/server"].version;

configure({
  backends: {
    default: { backend: "database", url: process.env.DATABASE_URL },
    mine: { backend: MapBackend },
  },
});

const server = createServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const gone = new AbortController();
  res.on("close", () => gone.abort());
  const request = new Request(`http://${req.headers.host}${req.url}`, {
    method: req.method,
    headers: req.headers,
    body: req.method === "GET" ? undefined : Buffer.concat(chunks),
    signal: gone.signal,
  });
  const standalone = req.url.startsWith("/api/errand");
  const response = await fetchRequestHandler({
    endpoint: standalone ? "/api/errand" : "/api/trpc",
    req: request,
    router: standalone ? standaloneRouter : appRouter,
    createContext: () => createContext({ req: request }),
  });
  res.writeHead(response.status, Object.fromEntries(response.headers));
  const reader = response.body?.getReader();
  for (let read = await reader?.read(); read && !read.done; read = await reader.read()) res.write(read.value);
  res.end();
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const base = `http://127.0.0.1:${server.address().port}`;
const headers = (token) => (token ? { authorization: `Bearer ${token}` } : {});

try {
  // The app's router, Errand nested at `tasks`, superjson.
  const app = (token) =>
    createTRPCClient({
      links: [httpBatchLink({ url: `${base}/api/trpc`, transformer: superjson, headers: headers(token) })],
    });
  assert.equal(await app("alice").post.hello.query({ text: "t3" }), "Hello t3");
  const nested = await app("alice").tasks.tasks.media.resize.enqueue.mutate({ args: ["/a.png", 100] });
  assert.deepEqual(nested.creator, { type: "user", id: "u_alice" });
  await assert.rejects(app(null).tasks.stats.query(), (e) => {
    assert.equal(e.data?.code, "UNAUTHORIZED");
    assert.equal(e.data?.app, "oldest", "the app's error formatter shaped the error");
    return true;
  });

  // Errand's standalone router, no transformer.
  const standalone = createTRPCClient({
    links: [httpBatchLink({ url: `${base}/api/errand`, headers: headers("alice") })],
  });
  const direct = await standalone.enqueue.mutate({ task: "media.resize", args: ["/b.png", 50] });
  await assert.rejects(
    createTRPCClient({ links: [httpBatchLink({ url: `${base}/api/errand` })] }).list.query(),
    (e) => e.data?.code === "FORBIDDEN",
  );

  // The React package's client at the app's endpoint, path and transformer: `watch` streams.
  const errand = createErrandClient({
    url: `${base}/api/trpc`,
    path: "tasks",
    transformer: superjson,
    headers: headers("alice"),
  });
  const statuses = [];
  let streamError = null;
  const finished = new Promise((resolve) => {
    const sub = errand.watch.subscribe(
      { id: nested.id },
      {
        onData: (event) => {
          if (event.type === "task") statuses.push(event.task.status);
          if (event.type === "task" && event.task.status === "SUCCESSFUL") {
            sub.unsubscribe();
            resolve();
          }
        },
        onError: (error) => (streamError = error),
      },
    );
  });
  await waitFor(() => statuses.length > 0 || streamError, "the watch stream's first event");
  assert.equal(streamError, null, `watch failed: ${streamError}`);

  execFileSync("node_modules/.bin/errand", ["worker", "--batch", "--config", "errand.config.mjs"], {
    stdio: "inherit",
  });
  await Promise.race([
    finished,
    new Promise((_, reject) => setTimeout(() => reject(new Error("watch: no SUCCESSFUL")), 20_000)),
  ]);
  const viaNested = await errand.getResult.query({ id: nested.id });
  const viaStandalone = await standalone.getResult.query({ id: direct.id });
  assert.equal(viaNested.status, "SUCCESSFUL");
  assert.equal(viaStandalone.status, "SUCCESSFUL");
  assert.equal(viaNested.returnValue.url, "/a.png?w=100");

  // A backend class of the app's own.
  const mine = resize.using({ backend: "mine", priority: 5 });
  const stored = await mine.enqueue("/c.png", 10);
  const found = await mine.getResult(stored.id);
  const backend = getBackend("mine");
  assert.ok(backend instanceof MapBackend);
  assert.equal(found.priority, 5);
  assert.deepEqual(found.args, ["/c.png", 10]);
  assert.deepEqual(backend.calls, ["enqueue media.resize", `getRecord ${stored.id}`]);

  console.log(
    `SCENARIO_RESULT ${JSON.stringify({ trpc: trpcVersion, statuses, returnValue: viaNested.returnValue, custom: backend.calls.length })}`,
  );
} finally {
  server.closeAllConnections();
  server.close();
  await closeBackends();
}

async function waitFor(condition, what, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
