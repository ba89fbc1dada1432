/**
 * The web app's production server: what `next start` does, with the listen queue sized for
 * many connections at once.
 *
 *   node --expose-gc --import tsx web/scripts/web-server.ts --port 3000 --hostname 127.0.0.1
 *
 * `next start` listens with Node's default backlog (511) and has no option for it. When
 * more clients connect at once than the kernel's queues hold — 2,000 dashboards reconnecting
 * after a deploy — the overflow is dropped or reset before the app sees it. This server
 * listens with `ERRAND_LISTEN_BACKLOG` (4,096): every connection waits in the queue until
 * the app accepts it, and the app answers it (a stream, or 503 past the stream cap). Linux
 * caps the queue at `net.core.somaxconn` (4,096 by default since kernel 5.4; see the README).
 *
 * With `--expose-gc`, it also collects garbage once after a burst of connections closed
 * (see collect-after-burst.ts), so memory held by streams that left goes back to the system.
 */
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import next from "next";
import { collectAfterBurst } from "./collect-after-burst";

const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Connections the kernel may hold for this server before it accepts them. */
export const DEFAULT_LISTEN_BACKLOG = 4096;

/** The kernel's cap on any listen queue, or `null` where it cannot be read (not Linux). */
function somaxconn(): number | null {
  try {
    return Number(readFileSync("/proc/sys/net/core/somaxconn", "utf8").trim());
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: process.env.PORT ?? "3000" },
      hostname: { type: "string", default: "127.0.0.1" },
    },
  });
  const port = Number(values.port);
  const hostname = values.hostname;
  const backlog = Number(process.env.ERRAND_LISTEN_BACKLOG ?? DEFAULT_LISTEN_BACKLOG);
  if (!Number.isInteger(backlog) || backlog < 1) {
    throw new Error(`ERRAND_LISTEN_BACKLOG must be a whole number ≥ 1, got ${process.env.ERRAND_LISTEN_BACKLOG}.`);
  }
  const cap = somaxconn();
  if (cap !== null && cap < backlog) {
    console.warn(
      `[web] net.core.somaxconn is ${cap}: the listen queue holds ${cap} connections, not ${backlog}. ` +
        `Raise it (sysctl -w net.core.somaxconn=${backlog}) for bursts of connections.`,
    );
  }

  const app = next({ dev: false, dir: webDir, hostname, port });
  const handle = app.getRequestHandler();
  await app.prepare();
  const server = createServer((req, res) => void handle(req, res));
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) collectAfterBurst(server, { gc });
  else console.warn("[web] started without --expose-gc: memory of streams that closed is kept until the heap grows");
  const stop = () => {
    server.close();
    // Open streams would hold `close` forever; the process ends as `next start` does.
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port, host: hostname, backlog }, resolve);
  });
  console.log(`[web] listening on http://${hostname}:${port} (listen backlog ${Math.min(backlog, cap ?? backlog)})`);
}

main().catch((error: unknown) => {
  console.error(`[web] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
