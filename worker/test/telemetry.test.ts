// Telemetry across real processes: a producer process enqueues inside a span of its own, a
// worker process (the `errand` CLI) with the OpenTelemetry SDK registered through `--import`
// runs the tasks, and both write their spans to a file. The worker also serves /metrics.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import parsePrometheusTextFormat, { type MetricFamily } from "parse-prometheus-text-format";
import type { TestDatabase } from "@errand/core/testing";
import { FIXTURE_CONFIG, logLines, SOURCE_FLAGS, statusCounts, waitFor, workerProcessSuite } from "./helpers";
import { record } from "./fixtures/tasks";

const here = path.dirname(fileURLToPath(import.meta.url));
const REGISTER = path.resolve(here, "fixtures/otel/register.mjs");
const PRODUCER = path.resolve(here, "fixtures/otel/enqueue.ts");

let tdb: TestDatabase;
const suite = workerProcessSuite({ ready: (t) => (tdb = t), clear: ["errand_tasks", "executions"] });
const dir = mkdtempSync(path.join(tmpdir(), "i20-telemetry-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface SpanLine {
  pid: number;
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  status: { code: number; message?: string };
  attributes: Record<string, unknown>;
  events: { name: string; attributes: Record<string, unknown> }[];
}

const SpanKind = { PRODUCER: 3, CONSUMER: 4 } as const;
const StatusCode = { UNSET: 0, ERROR: 2 } as const;

function readSpans(file: string): SpanLine[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as SpanLine);
}

/** Runs the producer script to completion; what it printed. */
async function produce(spansFile: string): Promise<Produced> {
  const child = spawn(process.execPath, [...SOURCE_FLAGS, "--import", REGISTER, PRODUCER], {
    cwd: here,
    env: { ...process.env, DATABASE_URL: tdb.url, OTEL_SPANS_FILE: spansFile },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  expect(code, err).toBe(0);
  return JSON.parse(out.trim()) as Produced;
}

interface Produced {
  traceId: string;
  requestSpanId: string;
  ok: string;
  failing: string;
  retried: string;
  many: [string, string];
  parent: string;
}

function family(families: MetricFamily[], name: string): MetricFamily {
  const found = families.find((f) => f.name === name);
  if (!found) throw new Error(`no ${name} in /metrics: ${families.map((f) => f.name).join(", ")}`);
  return found;
}

describe("traces and metrics across processes", () => {
  it("one trace from the producer's span to every attempt; /metrics counts the drain", async () => {
    const spansFile = path.join(dir, "spans.jsonl");
    const produced = await produce(spansFile);
    const worker = suite.startWorker(
      ["--config", FIXTURE_CONFIG, "--interval", "0.2", "--metrics-port", "0", "--log-level", "info"],
      { NODE_OPTIONS: `--import=${REGISTER}`, OTEL_SPANS_FILE: spansFile },
    );
    const startedLine = await worker.waitForLine("worker started", (l) => l.includes('"worker started"'));
    const port = (JSON.parse(startedLine) as { metricsPort: number }).metricsPort;
    expect(port).toBeGreaterThan(0);

    // 7 tasks from the producer and the child the parent task enqueues: 6 succeed, one fails for good.
    await waitFor(
      "the drain",
      async () => {
        const counts = await statusCounts(tdb);
        return counts.SUCCESSFUL === 6 && counts.FAILED === 1 ? counts : undefined;
      },
      { timeoutMs: 30_000 },
    );

    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    const families = parsePrometheusTextFormat(text);
    const finished = family(families, "errand_tasks_finished_total");
    const byStatus: Record<string, number> = {};
    for (const m of finished.metrics)
      byStatus[m.labels!.status!] = (byStatus[m.labels!.status!] ?? 0) + Number(m.value);
    expect(byStatus).toEqual({ SUCCESSFUL: 6, FAILED: 1 });
    expect(
      finished.metrics.find((m) => m.labels!.task === "test.flaky" && m.labels!.status === "FAILED"),
    ).toMatchObject({
      labels: { queue: "default" },
      value: "1",
    });
    const depth = family(families, "errand_queue_depth");
    const depthOf = (status: string) =>
      depth.metrics.find((m) => m.labels!.queue === "default" && m.labels!.status === status)?.value;
    expect(depthOf("PENDING")).toBe("0");
    expect(depthOf("RUNNING")).toBe("0");
    expect(depthOf("SUCCESSFUL")).toBe("6");
    expect(depthOf("FAILED")).toBe("1");
    // The parser takes the histograms (it drops their labels and _count lines, so count those here).
    expect(family(families, "errand_task_duration_seconds").type).toBe("HISTOGRAM");
    expect(family(families, "errand_task_queue_lag_seconds").type).toBe("HISTOGRAM");
    const samples = (name: string) =>
      [...text.matchAll(new RegExp(`^${name}_count\\{[^}]*\\} (\\d+)$`, "gm"))].reduce((n, m) => n + Number(m[1]), 0);
    expect(samples("errand_task_duration_seconds")).toBe(7);
    // One lag sample per attempt: 1 + 3 + 2 + 2 + 1 + 1.
    expect(samples("errand_task_queue_lag_seconds")).toBe(10);
    // This process enqueued the child task only.
    expect(family(families, "errand_tasks_enqueued_total").metrics).toEqual([
      expect.objectContaining({ labels: { queue: "default", task: "test.noop" }, value: "1" }),
    ]);
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);

    worker.child.kill("SIGTERM");
    expect(await worker.exited).toBe(0);

    const spans = readSpans(spansFile);
    const workerPid = worker.child.pid;
    const { traceId } = produced;
    const enqueueOf = (id: string) =>
      spans.find(
        (s) =>
          s.kind === SpanKind.PRODUCER &&
          (s.attributes["messaging.message.id"] === id ||
            (s.attributes["messaging.batch.message_count"] === 2 && produced.many.includes(id))),
      );
    const runsOf = (id: string) =>
      spans
        .filter((s) => s.kind === SpanKind.CONSUMER && s.attributes["messaging.message.id"] === id)
        .sort((a, b) => Number(a.attributes["errand.attempt"]) - Number(b.attributes["errand.attempt"]));

    // The producer's span: a child of the request's, in the producer process.
    const okEnqueue = enqueueOf(produced.ok)!;
    expect(okEnqueue).toMatchObject({
      name: "errand.enqueue test.record",
      traceId,
      parentSpanId: produced.requestSpanId,
      attributes: { "messaging.system": "errand", "messaging.destination.name": "default" },
    });
    expect(okEnqueue.pid).not.toBe(workerPid);
    // The run: same trace, the producer span as parent, in the worker process.
    const [okRun, ...more] = runsOf(produced.ok);
    expect(more).toEqual([]);
    expect(okRun).toMatchObject({
      name: "errand.run test.record",
      pid: workerPid,
      traceId,
      parentSpanId: okEnqueue.spanId,
      status: { code: StatusCode.UNSET },
      attributes: {
        "messaging.system": "errand",
        "messaging.destination.name": "default",
        "messaging.message.id": produced.ok,
        "errand.attempt": 1,
      },
    });

    // A task failing every attempt: one span per attempt, each with error status and the exception.
    const failingRuns = runsOf(produced.failing);
    expect(failingRuns.map((s) => s.attributes["errand.attempt"])).toEqual([1, 2, 3]);
    const failingEnqueue = enqueueOf(produced.failing)!;
    for (const [i, run] of failingRuns.entries()) {
      expect(run).toMatchObject({ traceId, parentSpanId: failingEnqueue.spanId, status: { code: StatusCode.ERROR } });
      expect(run.status.message).toBe(`boom on attempt ${i + 1}`);
      expect(run.events.map((e) => e.name)).toEqual(["exception"]);
      expect(run.events[0]!.attributes).toMatchObject({
        "exception.type": "Error",
        "exception.message": `boom on attempt ${i + 1}`,
      });
    }

    // Retried once, then successful: two spans in the same trace.
    const retriedRuns = runsOf(produced.retried);
    expect(retriedRuns.map((s) => [s.attributes["errand.attempt"], s.status.code])).toEqual([
      [1, StatusCode.ERROR],
      [2, StatusCode.UNSET],
    ]);
    expect(new Set(retriedRuns.map((s) => s.traceId))).toEqual(new Set([traceId]));

    // enqueueMany: one producer span for the batch, the parent of both runs.
    const manyEnqueue = enqueueOf(produced.many[0])!;
    expect(manyEnqueue.name).toBe("errand.enqueue test.record");
    for (const id of produced.many) expect(runsOf(id)[0]).toMatchObject({ traceId, parentSpanId: manyEnqueue.spanId });

    // A task enqueued inside a running task continues the trace.
    const [parentRun] = runsOf(produced.parent);
    const childEnqueue = spans.find((s) => s.name === "errand.enqueue test.noop")!;
    expect(childEnqueue).toMatchObject({ pid: workerPid, traceId, parentSpanId: parentRun!.spanId });
    const childRun = spans.find((s) => s.name === "errand.run test.noop")!;
    expect(childRun).toMatchObject({ traceId, parentSpanId: childEnqueue.spanId });

    // The worker's lines about a task carry its run span's ids.
    const startedOk = logLines(worker.stdout).find((l) => l.msg === "task started" && l.taskId === produced.ok);
    expect(startedOk).toMatchObject({ traceId, spanId: okRun!.spanId });
  }, 90_000);

  it("a --metrics-port already in use stops the worker at start-up with a clear error", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const worker = suite.startWorker(["--config", FIXTURE_CONFIG, "--metrics-port", String(port)]);
      expect(await worker.exited).not.toBe(0);
      expect([...worker.stderr, ...worker.stdout].join("\n")).toContain(
        `Cannot serve metrics on port ${port}: port ${port} is already in use`,
      );
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  }, 30_000);

  it("without an SDK registered, the row stores no trace context and the task runs as usual", async () => {
    const result = await record.enqueue("untraced");
    const row = await tdb.db
      .selectFrom("errand_tasks")
      .select(["traceparent", "tracestate"])
      .where("id", "=", result.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ traceparent: null, tracestate: null });
    const worker = suite.startWorker(["--config", FIXTURE_CONFIG, "--batch", "--log-level", "warn"]);
    expect(await worker.exited).toBe(0);
    expect(await statusCounts(tdb)).toEqual({ SUCCESSFUL: 1 });
  }, 30_000);
});
