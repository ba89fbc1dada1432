// One worker process of the drain scenario. Loads its system, says 'ready', starts the worker
// on 'go', stops it on 'stop'. Exits by itself if its parent goes away or after a hard limit.
import { makeAdapter } from "./adapters/index.mjs";
import { withTimeout } from "./util.mjs";

const spec = JSON.parse(process.argv[2]);
const HARD_LIMIT_MS = 15 * 60_000;

setTimeout(() => process.exit(4), HARD_LIMIT_MS).unref();
process.on("disconnect", () => process.exit(5));

let stop = null;
let ran = 0; // task functions run in this process: checked against the database's count
const adapter = await makeAdapter(spec.system, {
  url: spec.url,
  onTask: () => {
    ran++;
  },
});

process.on("message", async (msg) => {
  try {
    if (msg.type === "go") {
      const t0 = performance.now();
      stop = await adapter.startWorker({
        concurrency: spec.concurrency,
        workerId: `bench-${spec.index}-${process.pid}`,
      });
      process.send({ type: "started", startupMs: performance.now() - t0 });
    } else if (msg.type === "stop") {
      if (stop) await withTimeout(stop(), 10_000, "stopping the worker").catch(() => {});
      process.send({ type: "stopped", ran }, () => process.exit(0));
    }
  } catch (err) {
    process.stderr.write(`[bench] worker process ${spec.index}: ${err?.stack ?? err}\n`);
    process.exit(1);
  }
});

process.send({ type: "ready" });
