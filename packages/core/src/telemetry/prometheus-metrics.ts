import type * as PromClient from "prom-client";
import { ErrandError, ERROR_CODES } from "../errors";
import { prometheusLoading, readDepths, setPrometheusSink } from "./errand-metrics";

/** What Errand uses of a prom-client counter (declared here: prom-client is optional, so no published type names it). */
export interface PrometheusCounter<L extends string> {
  inc(labels: Partial<Record<L, string>>, value?: number): void;
}

/** What Errand uses of a prom-client histogram. */
export interface PrometheusHistogram<L extends string> {
  observe(labels: Partial<Record<L, string>>, value: number): void;
}

/** The Prometheus side of Errand's metrics: one prom-client registry of its own. */
export interface PrometheusMetrics {
  registry: { readonly contentType: string; metrics(): Promise<string> };
  enqueued: PrometheusCounter<"queue" | "task">;
  finished: PrometheusCounter<"queue" | "task" | "status">;
  duration: PrometheusHistogram<"queue" | "task">;
  lag: PrometheusHistogram<"queue" | "task">;
}

// A variable, not a literal: bundlers must not try to resolve a package the app may not have.
const PROM_CLIENT = "prom-client";

/** Seconds: from a millisecond task to a ten-minute one (and a queue backed up for an hour). */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 600, 1800, 3600];

let made: Promise<PrometheusMetrics> | undefined;

/**
 * Errand's metrics in a prom-client `Registry` of their own (not prom-client's global one,
 * so an app that has its own metrics keeps them apart), made on first call; from then on
 * every enqueue and finished task in this process is also counted there. `prom-client` is
 * an optional peer dependency: a clear error says to install it.
 *
 * @example
 * const { registry } = await prometheusMetrics();
 * const text = await registry.metrics();
 */
export function prometheusMetrics(): Promise<PrometheusMetrics> {
  if (!made) prometheusLoading();
  made ??= make().catch((error: unknown) => {
    made = undefined;
    setPrometheusSink(undefined);
    throw error;
  });
  return made;
}

async function make(): Promise<PrometheusMetrics> {
  let client: typeof PromClient;
  try {
    const module = (await import(
      /* webpackIgnore: true */ /* turbopackIgnore: true */ /* @vite-ignore */ PROM_CLIENT
    )) as typeof PromClient & {
      default?: typeof PromClient;
    };
    client = typeof module.Registry === "function" ? module : module.default!;
  } catch (error) {
    throw new ErrandError(
      ERROR_CODES.INVALID_CONFIG,
      `Serving /metrics needs the "prom-client" package: run \`npm install prom-client\` in your app.`,
      { cause: error },
    );
  }
  const registry = new client.Registry();
  const metrics: PrometheusMetrics = {
    registry,
    enqueued: new client.Counter({
      name: "errand_tasks_enqueued_total",
      help: "Tasks stored by enqueue().",
      labelNames: ["queue", "task"],
      registers: [registry],
    }),
    finished: new client.Counter({
      name: "errand_tasks_finished_total",
      help: "Tasks that reached SUCCESSFUL or FAILED, by status.",
      labelNames: ["queue", "task", "status"],
      registers: [registry],
    }),
    duration: new client.Histogram({
      name: "errand_task_duration_seconds",
      help: "How long a task's last attempt ran.",
      labelNames: ["queue", "task"],
      buckets: BUCKETS,
      registers: [registry],
    }),
    lag: new client.Histogram({
      name: "errand_task_queue_lag_seconds",
      help: "From when an attempt was due to when it started.",
      labelNames: ["queue", "task"],
      buckets: BUCKETS,
      registers: [registry],
    }),
  };
  new client.Gauge({
    name: "errand_queue_depth",
    help: "Tasks in a queue, by status (from the counters the dashboard reads).",
    labelNames: ["queue", "status"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const depth of await readDepths()) this.set({ queue: depth.queueName, status: depth.status }, depth.count);
    },
  });
  setPrometheusSink(metrics);
  return metrics;
}
