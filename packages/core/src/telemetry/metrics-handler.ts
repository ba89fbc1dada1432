import { getBackend } from "../config/configure";
import { addQueueDepthSource } from "./errand-metrics";
import { prometheusMetrics } from "./prometheus-metrics";

/** The response side of an Express (or plain `node:http`) handler. */
export interface NodeMetricsResponse {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body: string): unknown;
}

/**
 * Serves Errand's metrics in the Prometheus text format: as a Next.js route handler
 * (`Request` in, `Response` out) or as an Express handler (`req, res`).
 */
export interface MetricsHandler {
  (request: Request): Promise<Response>;
  (request: unknown, response: NodeMetricsResponse): Promise<void>;
}

export interface MetricsHandlerOptions {
  /** The backend whose counters give `errand_queue_depth`. Default "default". */
  backend?: string | undefined;
}

/**
 * A `/metrics` endpoint for Prometheus: `errand_tasks_enqueued_total` counts this process's
 * enqueues from when the handler is made, `errand_queue_depth` reads the backend's task
 * counters (the dashboard's, not a `count(*)`), and in a worker process the finished counter
 * and the duration and lag histograms follow its tasks (`errand worker --metrics-port` serves
 * those). Needs the `prom-client` package.
 *
 * @example
 * // app/metrics/route.ts (Next.js)
 * import { createMetricsHandler } from "@errand/core";
 * export const GET = createMetricsHandler();
 * export const dynamic = "force-dynamic";
 *
 * // Express
 * app.get("/metrics", createMetricsHandler());
 */
export function createMetricsHandler(options: MetricsHandlerOptions = {}): MetricsHandler {
  const alias = options.backend ?? "default";
  let sourced = false;
  // Load prom-client now: what is recorded meanwhile is kept and counted once it is loaded, so
  // enqueues from here on count before the first scrape. A missing package is reported by the
  // scrape (a 500 naming it), not here.
  prometheusMetrics().catch(() => undefined);
  const render = async (): Promise<{ status: number; type: string; body: string }> => {
    try {
      const { registry } = await prometheusMetrics();
      if (!sourced) {
        sourced = true;
        addQueueDepthSource(async () => (await getBackend(alias).stats()).byQueue);
      }
      return { status: 200, type: registry.contentType, body: await registry.metrics() };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return {
        status: 500,
        type: "text/plain; charset=utf-8",
        body: `# errand: could not collect metrics: ${message}\n`,
      };
    }
  };
  const handler = async (request: unknown, response?: NodeMetricsResponse): Promise<Response | void> => {
    const { status, type, body } = await render();
    if (response) {
      response.statusCode = status;
      response.setHeader("Content-Type", type);
      response.end(body);
      return;
    }
    return new Response(body, { status, headers: { "Content-Type": type } });
  };
  return handler as MetricsHandler;
}
