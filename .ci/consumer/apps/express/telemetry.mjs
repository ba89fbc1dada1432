// With @opentelemetry/api, the SDK and prom-client installed: a span around an Express
// handler's enqueue is the parent of Errand's producer span, the row carries its trace
// context, and /metrics (createMetricsHandler) counts the enqueue and the queue's depth.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import express from "express";
import { closeBackends, configure, createMetricsHandler } from "@errand/core";
import config from "./errand.config.mjs";
import { greet } from "./tasks.mjs";

const exporter = new InMemorySpanExporter();
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));

const errand = (...args) =>
  execFileSync("node_modules/.bin/errand", args, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
errand("migrate");
configure({ backends: config.backends });

const app = express();
app.get("/metrics", createMetricsHandler());
app.post("/signup", (req, res) => {
  trace.getTracer("consumer").startActiveSpan("POST /signup", async (span) => {
    const result = await greet.enqueue("Grace");
    span.end();
    res.json({ id: result.id, traceparent: result.toJSON().traceparent, traceId: span.spanContext().traceId });
  });
});
const server = app.listen(0, "127.0.0.1");
await once(server, "listening");
const base = `http://127.0.0.1:${server.address().port}`;
const metric = async (pattern) => {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(pattern));
  assert.ok(line, `no ${pattern} in:\n${text}`);
  return Number(line.slice(pattern.length).trim());
};

try {
  // Drain what other scenarios left on the queue first, so depth counts this task alone.
  errand("worker", "--batch", "--queue-name", "email", "--log-level", "warn");
  const signup = await (await fetch(`${base}/signup`, { method: "POST" })).json();
  assert.match(signup.traceparent, new RegExp(`^00-${signup.traceId}-[0-9a-f]{16}-01$`));
  const [enqueueSpan] = exporter.getFinishedSpans().filter((s) => s.name === "errand.enqueue consumer.greet");
  assert.ok(enqueueSpan, "no errand.enqueue span");
  assert.equal(enqueueSpan.attributes["messaging.system"], "errand");
  assert.equal(enqueueSpan.attributes["messaging.destination.name"], "email");
  assert.equal(enqueueSpan.attributes["messaging.message.id"], signup.id);
  assert.equal(signup.traceparent.split("-")[2], enqueueSpan.spanContext().spanId);

  assert.equal(await metric('errand_tasks_enqueued_total{queue="email",task="consumer.greet"}'), 1);
  assert.equal(await metric('errand_queue_depth{queue="email",status="PENDING"}'), 1);
  errand("worker", "--batch", "--queue-name", "email", "--log-level", "warn");
  assert.equal(await metric('errand_queue_depth{queue="email",status="PENDING"}'), 0);
  console.log(`SCENARIO_RESULT ${JSON.stringify({ traceparent: signup.traceparent })}`);
} finally {
  server.closeAllConnections?.();
  server.close();
  await closeBackends();
}
