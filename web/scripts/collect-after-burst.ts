import type { Server } from "node:http";

export interface CollectAfterBurstOptions {
  /** A full garbage collection: `globalThis.gc` of a process started with `--expose-gc`. */
  gc: () => void;
  /** Connections that must have closed since the last collection. Default 100. */
  minClosed?: number | undefined;
  /** Wait this long after such a close before collecting, so that a wave of closes ends. Default 5 s. */
  delayMs?: number | undefined;
}

/**
 * Runs one full garbage collection a few seconds after a burst of connections closed (many
 * `watch` streams leaving at once), so the server gives their memory back.
 *
 * Why: a stream lives for minutes, so what it holds ends up in V8's old generation. When
 * hundreds close at once, that memory is garbage, but V8 collects the old generation only
 * when more is allocated — and a server whose streams have just left allocates little. Its
 * heap stayed at the burst's size (733 MB resident, 30 MB of it live) for as long as it was
 * quiet. One collection once the burst has closed returns it; it pauses the server for tens
 * of milliseconds, at most once per `delayMs`, and only after `minClosed` connections closed.
 *
 * @example
 * collectAfterBurst(server, { gc: globalThis.gc! }); // node --expose-gc
 */
export function collectAfterBurst(server: Server, options: CollectAfterBurstOptions): void {
  const minClosed = options.minClosed ?? 100;
  const delayMs = options.delayMs ?? 5000;
  let closedSinceCollect = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const collect = () => {
    timer = null;
    closedSinceCollect = 0;
    options.gc();
  };
  server.on("connection", (socket) => {
    socket.once("close", () => {
      closedSinceCollect++;
      // Not pushed back by later closes: a steady trickle of them must not postpone it forever.
      if (closedSinceCollect >= minClosed && timer === null) timer = setTimeout(collect, delayMs);
    });
  });
  server.once("close", () => {
    if (timer) clearTimeout(timer);
    timer = null;
  });
}
