import { createServer, type Server } from "node:http";
import { ERROR_CODES, ErrandError } from "@errand/core";
import { prometheusMetrics } from "@errand/core/internal";

/** The port of `--metrics-port` could not be listened on. */
export class MetricsPortUnavailable extends ErrandError {
  readonly port: number;
  constructor(port: number, cause: NodeJS.ErrnoException) {
    const why =
      cause.code === "EADDRINUSE"
        ? `port ${port} is already in use (another worker on this machine?); pick a free one`
        : `${cause.code ?? "error"}: ${cause.message}`;
    super(ERROR_CODES.INVALID_CONFIG, `Cannot serve metrics on port ${port}: ${why}.`, { cause });
    this.port = port;
  }
}

/** A running `/metrics` endpoint. */
export interface MetricsServer {
  /** The port it listens on (the one picked by the system for port 0). */
  port: number;
  close(): Promise<void>;
}

/**
 * Serves Errand's metrics (`prometheusMetrics()`) in the Prometheus text format at
 * `http://0.0.0.0:<port>/metrics`; anything else is a 404.
 *
 * @throws MetricsPortUnavailable when the port is taken; ErrandError when prom-client is missing.
 * @example
 * const server = await serveMetrics(9464);
 * await server.close();
 */
export async function serveMetrics(port: number): Promise<MetricsServer> {
  const { registry } = await prometheusMetrics();
  const server: Server = createServer((request, response) => {
    if (request.method !== "GET" || (request.url ?? "").split("?")[0] !== "/metrics") {
      response.writeHead(404, { "Content-Type": "text/plain" }).end("Errand serves its metrics at /metrics.\n");
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { "Content-Type": registry.contentType }).end(text),
      (error: unknown) =>
        response
          .writeHead(500, { "Content-Type": "text/plain" })
          .end(`# errand: could not collect metrics: ${error instanceof Error ? error.message : String(error)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => reject(new MetricsPortUnavailable(port, error)));
    server.listen(port, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
