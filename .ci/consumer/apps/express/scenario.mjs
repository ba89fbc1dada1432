// The router in Express over real HTTP: enqueue and getResult with @trpc/client, a --batch
// worker in between.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { TRPCClientError, createTRPCClient, httpLink } from "@trpc/client";
import { closeBackends, configure } from "@errand/core";
import config from "./errand.config.mjs";
import { TOKEN, createApp } from "./server.mjs";

const errand = (...args) =>
  execFileSync("node_modules/.bin/errand", args, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });

errand("migrate");
configure({ backends: config.backends });

const server = createApp().listen(0, "127.0.0.1");
await once(server, "listening");
const url = `http://127.0.0.1:${server.address().port}/trpc`;
const client = (token) =>
  createTRPCClient({ links: [httpLink({ url, headers: () => (token ? { authorization: `Bearer ${token}` } : {}) })] });
const trpc = client(TOKEN);

try {
  const enqueued = await trpc.enqueue.mutate({ task: "consumer.greet", args: ["Ada"] });
  assert.equal(enqueued.status, "PENDING");
  assert.equal(enqueued.taskName, "consumer.greet");
  assert.equal(enqueued.queueName, "email");
  assert.equal(typeof enqueued.enqueuedAt, "string");

  // authorize is asked: no token, no task.
  await assert.rejects(client(null).enqueue.mutate({ task: "consumer.greet", args: ["Eve"] }), (error) => {
    assert.ok(error instanceof TRPCClientError, String(error));
    assert.equal(error.data?.code, "FORBIDDEN");
    return true;
  });
  // A bad input is a 400 with a readable message, never a 500.
  const bad = await fetch(`${url}/enqueue`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ task: "consumer.greet", args: ["Ada"], options: { priority: 1000 } }),
  });
  assert.equal(bad.status, 400, await bad.clone().text());
  assert.match(JSON.stringify(await bad.json()), /priority/);
  // A task that is not listed cannot be enqueued.
  await assert.rejects(trpc.enqueue.mutate({ task: "consumer.other", args: [] }), TRPCClientError);

  const before = await trpc.getResult.query({ id: enqueued.id });
  assert.equal(before.status, "PENDING");

  // The push feed: `watch` over SSE, read as a plain HTTP client would (no EventSource).
  const watchInput = encodeURIComponent(JSON.stringify({ id: enqueued.id }));
  const stream = await fetch(`${url}/watch?input=${watchInput}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(stream.status, 200);
  assert.match(stream.headers.get("content-type") ?? "", /text\/event-stream/);
  const events = [];
  const ended = readEvents(stream.body, events);
  // The first event (the task as stored now) before the worker runs: this process serves the
  // stream, and the worker below blocks it while it runs.
  for (let waited = 0; events.length === 0; waited += 10) {
    assert.ok(waited < 10_000, "no event on the watch stream within 10 s");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }

  const log = errand("worker", "--batch", "--queue-name", "email", "--log-level", "info");
  assert.match(log, /task finished/);

  // The task as stored when the stream opened, then its outcome; the stream ends after it.
  await ended;
  const statuses = events.filter((e) => e.type === "task").map((e) => e.task.status);
  assert.equal(statuses[0], "PENDING", JSON.stringify(events));
  assert.equal(statuses.at(-1), "SUCCESSFUL", JSON.stringify(events));

  const after = await trpc.getResult.query({ id: enqueued.id });
  assert.equal(after.status, "SUCCESSFUL", JSON.stringify(after.errors));
  assert.deepEqual(after.returnValue, { greeting: "hello Ada", node: process.version });
  assert.equal(after.attempts, 1);

  // The same over plain HTTP, as a non-tRPC client would call it.
  const input = encodeURIComponent(JSON.stringify({ id: enqueued.id }));
  const raw = await fetch(`${url}/getResult?input=${input}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(raw.status, 200);
  assert.equal((await raw.json()).result.data.status, "SUCCESSFUL");
  console.log(
    `SCENARIO_RESULT ${JSON.stringify({ id: after.id, status: after.status, returnValue: after.returnValue })}`,
  );
} finally {
  server.closeAllConnections?.();
  server.close();
  await closeBackends();
}

/** Pushes the data of each SSE message onto `events` until the stream ends (tRPC sends a `return` event then). */
async function readEvents(body, events) {
  let buffer = "";
  const decoder = new TextDecoder();
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const message = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(message)?.[1];
      const data = /^data: (.*)$/m.exec(message)?.[1];
      if (event === "return") return;
      if (event === "serialized-error") throw new Error(`watch failed: ${data}`);
      if (!event && data) events.push(JSON.parse(data));
    }
  }
}
