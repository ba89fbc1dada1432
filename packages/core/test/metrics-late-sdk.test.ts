// The meter `errand` with `@opentelemetry/api` installed and no SDK registered yet (this file
// runs in a process of its own): recording is skipped, and an SDK registered later is found.
import { afterEach, describe, expect, it, vi } from "vitest";
import { metrics } from "@opentelemetry/api";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { metricsActive, recordFinished, telemetryReady } from "@errand/core/internal";

class TestReader extends MetricReader {
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

afterEach(() => {
  vi.useRealTimers();
  metrics.disable();
});

describe("metrics without an SDK", () => {
  it("are skipped while no SDK is registered, and recorded once one is (looked for again within a second)", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    await telemetryReady();
    expect(metricsActive()).toBe(false);
    recordFinished({ queue: "email", task: "late.sdk", status: "SUCCESSFUL", durationSeconds: 0.5 });

    const reader = new TestReader();
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
    vi.setSystemTime(Date.now() + 1_001);
    expect(metricsActive()).toBe(true);
    recordFinished({ queue: "email", task: "late.sdk", status: "SUCCESSFUL", durationSeconds: 0.5 });

    const { resourceMetrics } = await reader.collect();
    const finished = resourceMetrics.scopeMetrics
      .filter((s) => s.scope.name === "errand")
      .flatMap((s) => s.metrics)
      .find((m) => m.descriptor.name === "errand.tasks.finished");
    // Only the task finished after the SDK came: the one before it was not kept anywhere.
    expect(finished?.dataPoints.map((p) => p.value)).toEqual([1]);
  });
});
