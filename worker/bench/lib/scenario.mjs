// One scenario for one system, in a fresh database. Runs on Node 22 (Errand built, or with --import tsx and --source).
// Usage: node scenario.mjs '<json spec>'   (spawned by ../run.mjs, writes its result to spec.out)
import { fork } from "node:child_process";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { makeAdapter } from "./adapters/index.mjs";
import { percentile, quietErrors, sleep, withTimeout } from "./util.mjs";

const spec = JSON.parse(process.argv[2]);
const PREFILL_CHUNK = 2000;
const WORKER_PROC = fileURLToPath(new URL("./worker-proc.mjs", import.meta.url));

function finish(result, code = 0) {
  writeFileSync(spec.out, JSON.stringify({ ...result, spec }, null, 2));
  // Pools and listeners of the systems under test may keep the loop alive: leave explicitly.
  process.exit(code);
}

// The whole scenario is bounded, whatever a system under test does.
setTimeout(
  () => finish({ status: "error", error: `scenario exceeded ${spec.hardTimeoutMs} ms` }, 3),
  spec.hardTimeoutMs,
);

async function enqueueOne(adapter) {
  const n = spec.tasks;
  for (let i = 0; i < Math.min(20, n); i++) await adapter.enqueueOne(); // warm-up: connections, prepared statements
  const perCall = new Array(n);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await adapter.enqueueOne();
    perCall[i] = performance.now() - s;
  }
  const ms = performance.now() - t0;
  return {
    status: "ok",
    tasks: n,
    ms,
    perSec: (n / ms) * 1000,
    msPerCall: ms / n,
    p50: percentile(perCall, 50),
    p99: percentile(perCall, 99),
  };
}

async function enqueueBulk(adapter) {
  await adapter.enqueueBulk(100); // warm-up
  const t0 = performance.now();
  await adapter.enqueueBulk(spec.tasks);
  const ms = performance.now() - t0;
  return { status: "ok", tasks: spec.tasks, ms, perSec: (spec.tasks / ms) * 1000 };
}

function spawnWorker(index) {
  const child = fork(
    WORKER_PROC,
    [JSON.stringify({ system: spec.system, url: spec.url, concurrency: spec.concurrency, index })],
    { execArgv: process.execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"] },
  );
  const waiters = new Map();
  const state = { ran: null };
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  child.on("message", (msg) => {
    if (msg.type === "stopped") state.ran = msg.ran;
    const w = waiters.get(msg.type);
    if (w) {
      waiters.delete(msg.type);
      w(msg);
    }
  });
  const next = (type, ms) =>
    withTimeout(
      Promise.race([
        new Promise((resolve) => waiters.set(type, resolve)),
        exited.then(({ code, signal }) => {
          throw new Error(`worker process ${index} exited (${signal ?? code}) before '${type}'`);
        }),
      ]),
      ms,
      `worker process ${index} '${type}'`,
    );
  return { child, next, exited, state };
}

async function drain(adapter, client) {
  const n = spec.tasks;
  // The prefill is not measured: chunks of 2,000 keep every system within its bulk limits.
  for (let left = n; left > 0; left -= PREFILL_CHUNK) await adapter.enqueueBulk(Math.min(PREFILL_CHUNK, left));
  await client.query("ANALYZE");
  const before = await adapter.countDone(client, n);
  if (before !== 0) throw new Error(`expected 0 tasks done before the workers start, found ${before}`);

  const workers = Array.from({ length: spec.processes }, (_, i) => spawnWorker(i));
  let result;
  try {
    // Workers load their modules first; the clock starts when every one of them is told to go.
    const ready = workers.map((w) => w.next("ready", 30_000));
    await Promise.all(ready);
    const started = workers.map((w) => w.next("started", 30_000));
    const t0 = performance.now();
    for (const w of workers) w.child.send({ type: "go" });
    started.forEach((p) => p.catch(() => {}));

    let done = 0;
    let elapsed = 0;
    const progress = []; // [ms since go, tasks done], about every 500 ms: shows a rate that sags
    let nextSample = 0;
    let status = "ok";
    const limit = spec.drainTimeoutMs;
    for (;;) {
      done = await adapter.countDone(client, n);
      elapsed = performance.now() - t0;
      if (elapsed >= nextSample) {
        progress.push([Math.round(elapsed), done]);
        nextSample = elapsed + 500;
      }
      if (done >= n) break;
      if (elapsed > limit) {
        status = "partial";
        break;
      }
      // Hopelessly slow (would need over 3× the limit): stop early, report the rate so far.
      if (elapsed > Math.min(5_000, limit / 2) && done > 0 && (n / done) * elapsed > 3 * limit) {
        status = "partial";
        break;
      }
      if (elapsed > 10_000 && done === 0) {
        status = "partial";
        break;
      }
      for (const w of workers) {
        if (w.child.exitCode !== null) throw new Error("a worker process exited during the drain");
      }
      await sleep(spec.pollMs);
    }
    const startupMs = await Promise.all(started).then(
      (msgs) => Math.max(...msgs.map((m) => m.startupMs)),
      () => null,
    );
    progress.push([Math.round(elapsed), done]);
    result = {
      status,
      tasks: n,
      done,
      ms: elapsed,
      perSec: (done / elapsed) * 1000,
      workerStartupMs: startupMs,
      progress,
    };
    return result;
  } finally {
    await Promise.allSettled(
      workers.map(async (w) => {
        if (w.child.exitCode !== null) return;
        w.child.send({ type: "stop" });
        const t = setTimeout(() => w.child.kill("SIGKILL"), 15_000);
        await w.exited;
        clearTimeout(t);
      }),
    );
    // Task functions the workers ran, against what the database says completed: a check on
    // the harness (and on duplicates), after the workers stopped and flushed what they ran.
    if (result) {
      const counts = workers.map((w) => w.state.ran);
      result.ran = counts.every((c) => c !== null) ? counts.reduce((a, b) => a + b, 0) : null;
      result.doneAfterStop = await adapter.countDone(client, n);
    }
  }
}

async function latency(adapterFactory) {
  const n = spec.tasks;
  const sent = new Array(n).fill(null);
  const startedAt = new Array(n).fill(null);
  let seen = 0;
  const adapter = await adapterFactory((payload) => {
    const i = payload?.i;
    if (Number.isInteger(i) && i >= 0 && i < n && startedAt[i] === null) {
      startedAt[i] = performance.now();
      seen++;
    }
  });
  await adapter.setup();
  const stop = await adapter.startWorker({ concurrency: spec.concurrency });
  try {
    await sleep(1000); // let the worker settle into idle
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const wait = t0 + i * spec.gapMs - performance.now();
      if (wait > 0) await sleep(wait);
      sent[i] = performance.now();
      await adapter.enqueueOne({ i });
    }
    const deadline = performance.now() + spec.latencyWaitMs;
    while (seen < n && performance.now() < deadline) await sleep(10);
    const lat = [];
    for (let i = 0; i < n; i++) if (startedAt[i] !== null) lat.push(startedAt[i] - sent[i]);
    return {
      status: seen === n ? "ok" : "partial",
      tasks: n,
      done: seen,
      p50: percentile(lat, 50),
      p95: percentile(lat, 95),
      p99: percentile(lat, 99),
      max: lat.length ? Math.max(...lat) : null,
    };
  } finally {
    await withTimeout(stop(), 15_000, "stopping the worker").catch(() => {});
    await withTimeout(adapter.close(), 10_000, "closing").catch(() => {});
  }
}

async function main() {
  let adapter;
  try {
    if (spec.scenario === "latency") {
      return finish(await latency((onTask) => makeAdapter(spec.system, { url: spec.url, onTask })));
    }
    adapter = await makeAdapter(spec.system, { url: spec.url, needWorker: spec.scenario === "drain" });
    await adapter.setup();
    let result;
    if (spec.scenario === "enqueue") result = await enqueueOne(adapter);
    else if (spec.scenario === "bulk") result = await enqueueBulk(adapter);
    else if (spec.scenario === "drain") {
      const client = quietErrors(new pg.Client({ connectionString: spec.url }), "drain observer");
      await client.connect();
      try {
        result = await drain(adapter, client);
      } finally {
        await client.end();
      }
    } else throw new Error(`unknown scenario ${spec.scenario}`);
    await withTimeout(adapter.close(), 10_000, "closing").catch(() => {});
    finish(result);
  } catch (err) {
    if (err?.constructor?.name === "NotAvailable") return finish({ status: "unavailable", error: err.message });
    finish({ status: "error", error: String(err?.stack ?? err) }, 1);
  }
}

main();
