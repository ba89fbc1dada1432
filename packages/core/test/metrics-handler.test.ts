// createMetricsHandler() as a Next.js route (Request → Response) and as a node:http / Express
// handler, over the dummy backend. (Spans and the meter's instruments are checked across real
// processes in worker/test/telemetry.test.ts and the consumer apps.)
import { once } from "node:events";
import { createServer } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeBackends, configure, createMetricsHandler, task } from "@errand/core";
import { recordFinished } from "@errand/core/internal";

beforeAll(() => configure({ backends: { default: { backend: "dummy" } } }));
afterAll(() => closeBackends());

const send = task({ name: "metrics.send", queueName: "email" }, async (to: string) => to);

describe("createMetricsHandler", () => {
  it("serves Prometheus text to a Next.js route and to a node:http handler", async () => {
    // Counted from when the handler is made, before prom-client has loaded or anyone scraped.
    const handler = createMetricsHandler();
    await send.enqueue("ada@example.com");
    await send.enqueueMany([["a@example.com"], ["b@example.com"]]);
    recordFinished({ queue: "email", task: "metrics.send", status: "FAILED", durationSeconds: 0.3 });

    const response = await handler(new Request("http://localhost/metrics"));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toContain('errand_tasks_enqueued_total{queue="email",task="metrics.send"} 3');
    expect(text).toContain('errand_tasks_finished_total{queue="email",task="metrics.send",status="FAILED"} 1');
    expect(text).toContain('errand_task_duration_seconds_bucket{le="0.5",queue="email",task="metrics.send"} 1');
    // The dummy backend's counters: three PENDING on "email", and every status listed.
    expect(text).toContain('errand_queue_depth{queue="email",status="PENDING"} 3');
    expect(text).toContain('errand_queue_depth{queue="email",status="RUNNING"} 0');

    const server = createServer((req, res) => void handler(req, res));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    try {
      const port = (server.address() as { port: number }).port;
      const viaNode = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(viaNode.status).toBe(200);
      expect(await viaNode.text()).toContain('errand_tasks_enqueued_total{queue="email",task="metrics.send"} 3');
    } finally {
      server.close();
    }
  });
});
