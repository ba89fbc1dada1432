import type { Counter, Histogram } from "@opentelemetry/api";
import type { TaskStatus } from "../types";
import { INSTRUMENTATION_NAME } from "./messaging-attributes";
import { otelApi } from "./otel-api";
import type { PrometheusMetrics } from "./prometheus-metrics";

/** How many tasks a queue holds in a status, as the dashboard's counters say. */
export interface QueueDepth {
  queueName: string;
  status: TaskStatus;
  count: number;
}

/** Reads queue depths (a worker's store, the app's backend). */
export type QueueDepthSource = () => Promise<QueueDepth[]>;

interface OtelInstruments {
  enqueued: Counter;
  finished: Counter;
  duration: Histogram;
  lag: Histogram;
}

/** `undefined`: not made yet (or no SDK yet); `null`: no `@opentelemetry/api`. */
let instruments: OtelInstruments | null | undefined;
/** No SDK was registered when last looked (ms since the epoch): look again after this. */
let noSdkUntil = 0;
/** How long a look that found no SDK holds: recording calls stay cheap, a late SDK is found. */
const NO_SDK_RECHECK_MS = 1_000;
/** Set once something serves `/metrics` (see `prometheusMetrics()`). */
let prometheus: PrometheusMetrics | undefined;
/**
 * Recordings made while prom-client loads (a metrics handler was made, its registry is not
 * ready yet), replayed into it once it is; `undefined` when nothing is loading.
 */
let backlog: Array<(metrics: PrometheusMetrics) => void> | undefined;
/** Past this many, a backlog stops growing (prom-client may never come). */
const BACKLOG_LIMIT = 10_000;

/** Sends a recording to the Prometheus registry, or keeps it until the registry is made. */
function toPrometheus(record: (metrics: PrometheusMetrics) => void): void {
  if (prometheus) record(prometheus);
  else if (backlog && backlog.length < BACKLOG_LIMIT) backlog.push(record);
}
const depthSources = new Set<QueueDepthSource>();

/**
 * The meter `errand`'s instruments, made once the app has registered its SDK (a `--import`
 * file, Next.js's `instrumentation.ts`), since a meter taken from the API before that stays
 * a no-op. Until then `null`, looked for again at most once a second: without an SDK,
 * recording costs nothing.
 */
function otel(): OtelInstruments | null {
  if (instruments !== undefined) return instruments;
  const api = otelApi();
  if (!api) return null;
  const now = Date.now();
  if (now < noSdkUntil) return null;
  const meter = api.metrics.getMeter(INSTRUMENTATION_NAME);
  // With no meter provider registered the API hands out its no-op meter.
  if (Object.getPrototypeOf(meter) === Object.getPrototypeOf(api.createNoopMeter())) {
    noSdkUntil = now + NO_SDK_RECHECK_MS;
    return null;
  }
  instruments = {
    enqueued: meter.createCounter("errand.tasks.enqueued", { description: "Tasks stored by enqueue()." }),
    finished: meter.createCounter("errand.tasks.finished", {
      description: "Tasks that reached SUCCESSFUL or FAILED, by status.",
    }),
    duration: meter.createHistogram("errand.task.duration", {
      description: "How long a task's last attempt ran.",
      unit: "s",
    }),
    lag: meter.createHistogram("errand.task.queue_lag", {
      description: "From when an attempt was due to when it started.",
      unit: "s",
    }),
  };
  // Depth is read when the SDK collects, from whichever sources are registered then.
  meter
    .createObservableGauge("errand.queue.depth", { description: "Tasks in a queue, by status." })
    .addCallback(async (result) => {
      for (const depth of await readDepths()) {
        result.observe(depth.count, { queue: depth.queueName, status: depth.status });
      }
    });
  return instruments;
}

/** Counts tasks stored by an enqueue. */
export function recordEnqueued(queue: string, task: string, count: number): void {
  otel()?.enqueued.add(count, { queue, task });
  toPrometheus((m) => m.enqueued.inc({ queue, task }, count));
}

/** A task that finished: its queue, name, final status and how long its last attempt ran. */
export interface FinishedTask {
  queue: string;
  task: string;
  status: TaskStatus;
  durationSeconds: number;
}

/** Counts a task that finished and records its last attempt's duration. */
export function recordFinished({ queue, task, status, durationSeconds }: FinishedTask): void {
  const attributes = { queue, task };
  const instruments = otel();
  instruments?.finished.add(1, { ...attributes, status });
  instruments?.duration.record(durationSeconds, attributes);
  toPrometheus((m) => {
    m.finished.inc({ ...attributes, status });
    m.duration.observe(attributes, durationSeconds);
  });
}

/** Records how long an attempt waited between being due and starting. */
export function recordQueueLag(queue: string, task: string, seconds: number): void {
  const attributes = { queue, task };
  otel()?.lag.record(Math.max(0, seconds), attributes);
  toPrometheus((m) => m.lag.observe(attributes, Math.max(0, seconds)));
}

/**
 * Adds a source of `errand.queue.depth` (a worker adds its store's counters). Returns the
 * function that removes it.
 */
export function addQueueDepthSource(source: QueueDepthSource): () => void {
  depthSources.add(source);
  otel();
  return () => depthSources.delete(source);
}

const STATUSES: readonly TaskStatus[] = ["PENDING", "RUNNING", "SUCCESSFUL", "FAILED"];

/**
 * Every source's depths, each status of each queue they know (0 where the counters have none,
 * so a drained queue reads 0 rather than vanishing); the first source that answers for a
 * queue wins (sources share a database).
 */
export async function readDepths(): Promise<QueueDepth[]> {
  const counts = new Map<string, Map<TaskStatus, number>>();
  for (const source of depthSources) {
    const fromSource = new Map<string, Map<TaskStatus, number>>();
    for (const depth of await source()) {
      if (counts.has(depth.queueName)) continue;
      const byStatus = fromSource.get(depth.queueName) ?? new Map<TaskStatus, number>();
      byStatus.set(depth.status, (byStatus.get(depth.status) ?? 0) + depth.count);
      fromSource.set(depth.queueName, byStatus);
    }
    for (const [queue, byStatus] of fromSource) counts.set(queue, byStatus);
  }
  return [...counts].flatMap(([queueName, byStatus]) =>
    STATUSES.map((status) => ({ queueName, status, count: byStatus.get(status) ?? 0 })),
  );
}

/** Recordings from now on are kept for the Prometheus registry being made. */
export function prometheusLoading(): void {
  if (!prometheus) backlog ??= [];
}

/** Where recordings also go once `/metrics` is served (see `prometheusMetrics()`); `undefined`: it could not be made. */
export function setPrometheusSink(metrics: PrometheusMetrics | undefined): void {
  const kept = backlog ?? [];
  backlog = undefined;
  prometheus = metrics;
  if (metrics) for (const record of kept) record(metrics);
}

/**
 * Whether anything records metrics (an OpenTelemetry SDK registered, or `/metrics` served):
 * else callers skip the work.
 */
export function metricsActive(): boolean {
  return prometheus !== undefined || backlog !== undefined || otel() !== null;
}
