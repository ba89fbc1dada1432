// In-process telemetry with the OpenTelemetry SDK registered (this file runs in a process of
// its own): the producer span, the stored W3C context, and the meter `errand`'s instruments.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { context, metrics, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { closeBackends, configure, task } from "@errand/core";
import { addQueueDepthSource, recordFinished, recordQueueLag } from "@errand/core/internal";

class TestReader extends MetricReader {
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

const spans = new InMemorySpanExporter();
const reader = new TestReader();
beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  configure({ backends: { default: { backend: "dummy" } } });
});
afterAll(() => closeBackends());

const send = task({ name: "telemetry.send", queueName: "email" }, async (to: string) => to);

type Point = { attributes: Record<string, unknown>; value: unknown };

async function collected(): Promise<Map<string, Point[]>> {
  const { resourceMetrics } = await reader.collect();
  const out = new Map<string, Point[]>();
  for (const scope of resourceMetrics.scopeMetrics) {
    if (scope.scope.name !== "errand") continue;
    for (const metric of scope.metrics) {
      out.set(
        metric.descriptor.name,
        (metric.dataPoints as Point[]).map((p) => ({ attributes: p.attributes, value: p.value })),
      );
    }
  }
  return out;
}

describe("with an SDK registered", () => {
  it("enqueue runs in a producer span, a child of the active one, and stores its W3C context", async () => {
    const [one, many] = await trace.getTracer("app").startActiveSpan("POST /invite", async (span) => {
      const single = await send.enqueue("ada@example.com");
      const batch = await send.enqueueMany([["a@example.com"], ["b@example.com"]]);
      span.end();
      return [single, batch] as const;
    });
    const finished = spans.getFinishedSpans();
    const request = finished.find((s) => s.name === "POST /invite")!;
    const [single, batch] = finished.filter((s) => s.name === "errand.enqueue telemetry.send");
    expect(single!.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    expect(single!.spanContext().traceId).toBe(request.spanContext().traceId);
    expect(single!.attributes).toMatchObject({
      "messaging.system": "errand",
      "messaging.destination.name": "email",
      "messaging.message.id": one.id,
      "messaging.operation.type": "send",
    });
    expect(batch!.attributes["messaging.batch.message_count"]).toBe(2);
    const { traceId, spanId } = single!.spanContext();
    expect(one.toJSON().traceparent).toBe(`00-${traceId}-${spanId}-01`);
    for (const r of many) expect(r.toJSON().traceparent).toBe(`00-${traceId}-${batch!.spanContext().spanId}-01`);
  });

  it("records the meter errand's instruments with queue and task attributes", async () => {
    recordFinished({ queue: "email", task: "telemetry.send", status: "SUCCESSFUL", durationSeconds: 0.25 });
    recordFinished({ queue: "email", task: "telemetry.send", status: "FAILED", durationSeconds: 1 });
    recordQueueLag("email", "telemetry.send", 2);
    const remove = addQueueDepthSource(async () => [{ queueName: "email", status: "PENDING", count: 3 }]);
    try {
      const m = await collected();
      expect(m.get("errand.tasks.enqueued")).toEqual([
        { attributes: { queue: "email", task: "telemetry.send" }, value: 3 },
      ]);
      expect(m.get("errand.tasks.finished")).toEqual([
        { attributes: { queue: "email", task: "telemetry.send", status: "SUCCESSFUL" }, value: 1 },
        { attributes: { queue: "email", task: "telemetry.send", status: "FAILED" }, value: 1 },
      ]);
      expect(m.get("errand.task.duration")![0]).toMatchObject({ value: { count: 2, sum: 1.25 } });
      expect(m.get("errand.task.queue_lag")![0]).toMatchObject({ value: { count: 1, sum: 2 } });
      expect(m.get("errand.queue.depth")).toEqual(
        expect.arrayContaining([
          { attributes: { queue: "email", status: "PENDING" }, value: 3 },
          { attributes: { queue: "email", status: "RUNNING" }, value: 0 },
        ]),
      );
    } finally {
      remove();
    }
  });
});
