/**
 * `npm run bench:web -- --load` — the web endpoint under load, through HTTP as browsers reach
 * it. A benchmark that prints figures, not a test. Run it alone (`flock /tmp/errand-heavy.lock`
 * on a shared machine).
 *
 * Starts the app as `npm start` serves it (the web server + a worker, on a fresh database
 * `errand_bench_load`), then in one run:
 *   1. enqueue throughput and latency (20 clients) with `getResult` pollers (5), no stream open;
 *   2. the same with 300 `watch` streams open (the dashboard's unfiltered stream);
 *   3. 2,000 streams opened at once: connected, refused with 503, reset;
 * and RSS of the web server before, during and 60 s after, and Postgres connections.
 *
 *   npm run bench:web -- --load [--port 3199] [--seconds 20] [--streams 300] [--burst 2000]
 */
import { spawn, execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { DEFAULT_SERVER_URL } from "./database-url";

const { values: opts } = parseArgs({
  options: {
    load: { type: "boolean", default: true },
    port: { type: "string", default: "3199" },
    database: { type: "string", default: "errand_bench_load" },
    seconds: { type: "string", default: "20" },
    streams: { type: "string", default: "300" },
    burst: { type: "string", default: "2000" },
    settle: { type: "string", default: "60" },
  },
});
const port = Number(opts.port);
const seconds = Number(opts.seconds);
const streamCount = Number(opts.streams);
const burstCount = Number(opts.burst);
const settleSeconds = Number(opts.settle);
const base = `http://127.0.0.1:${port}/api/trpc`;
const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const serverUrl = process.env.DATABASE_URL ?? DEFAULT_SERVER_URL;

const log = (message: string) => console.log(`[bench:load] ${message}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(samples: number[], p: number): number {
  const s = [...samples].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
}

/** The pid of the process listening on the port (the web server, a child of the app command). */
function serverPid(): number {
  const out = execFileSync("ss", ["-Hltnp", `sport = :${port}`], { encoding: "utf8" });
  const pid = /pid=(\d+)/.exec(out)?.[1];
  if (!pid) throw new Error(`nothing listens on port ${port}: ${out}`);
  return Number(pid);
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

async function pgConnections(database: string): Promise<number> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1`,
      [database],
    );
    return rows[0]!.n;
  } finally {
    await client.end();
  }
}

async function call(pathAndQuery: string, init?: RequestInit): Promise<unknown> {
  const response = await fetch(`${base}/${pathAndQuery}`, init);
  const body = (await response.json()) as { result?: { data: unknown }; error?: unknown };
  if (!response.ok) throw new Error(`${response.status} ${JSON.stringify(body.error)}`);
  return body.result!.data;
}

const enqueue = () =>
  call("enqueue", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ task: "demo.add", args: [1, 2] }),
  }) as Promise<{ id: string }>;
const getResult = (id: string) => call(`getResult?input=${encodeURIComponent(JSON.stringify({ id }))}`);

/** 20 enqueuers and 5 pollers for `seconds`; latencies in ms. */
async function drive(): Promise<{ perSecond: number; enqueueMs: number[]; getResultMs: number[]; errors: number }> {
  const enqueueMs: number[] = [];
  const getResultMs: number[] = [];
  const ids: string[] = [(await enqueue()).id];
  let errors = 0;
  const until = performance.now() + seconds * 1000;
  const enqueuer = async () => {
    while (performance.now() < until) {
      const t0 = performance.now();
      try {
        ids.push((await enqueue()).id);
        enqueueMs.push(performance.now() - t0);
      } catch {
        errors++;
      }
    }
  };
  const poller = async () => {
    while (performance.now() < until) {
      const t0 = performance.now();
      try {
        await getResult(ids[Math.floor(Math.random() * ids.length)]!);
        getResultMs.push(performance.now() - t0);
      } catch {
        errors++;
      }
    }
  };
  const started = performance.now();
  await Promise.all([...Array.from({ length: 20 }, enqueuer), ...Array.from({ length: 5 }, poller)]);
  return { perSecond: enqueueMs.length / ((performance.now() - started) / 1000), enqueueMs, getResultMs, errors };
}

interface Stream {
  status: number | string;
  events: number;
  connectMs: number;
  abort: AbortController;
}

/** Opens one `watch` stream (unfiltered, as the dashboard does) and counts its events. */
async function openStream(): Promise<Stream> {
  const abort = new AbortController();
  const t0 = performance.now();
  const stream: Stream = { status: "pending", events: 0, connectMs: 0, abort };
  try {
    const response = await fetch(`${base}/watch?input=${encodeURIComponent("{}")}`, {
      headers: { accept: "text/event-stream" },
      signal: abort.signal,
    });
    stream.status = response.status;
    stream.connectMs = performance.now() - t0;
    if (response.status !== 200) {
      await response.body?.cancel();
      return stream;
    }
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let first = true;
    let ended = false;
    const pump = async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        const text = decoder.decode(value);
        stream.events += (text.match(/"changes"/g) ?? []).length;
        if (first && text.includes("subscribed")) first = false;
        if (first && text.includes("serialized-error")) stream.status = "error event";
      }
    };
    void pump()
      .catch(() => undefined)
      .finally(() => (ended = true));
    // Served once its first event arrived; a stream that errs or ends first is not counted as open.
    const deadline = performance.now() + 120_000;
    while (first && !ended && !abort.signal.aborted && performance.now() < deadline) await sleep(20);
    if (first) stream.status = ended ? "ended" : "no first event";
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    stream.status = cause?.code ?? (error as Error).name;
  }
  return stream;
}

function summary(label: string, run: Awaited<ReturnType<typeof drive>>): string[] {
  return [
    `| ${label}: enqueue | ${run.perSecond.toFixed(1)}/s | ${percentile(run.enqueueMs, 0.5).toFixed(1)} | ${percentile(run.enqueueMs, 0.99).toFixed(1)} | ${run.errors} |`,
    `| ${label}: getResult | ${(run.getResultMs.length / seconds).toFixed(1)}/s | ${percentile(run.getResultMs, 0.5).toFixed(1)} | ${percentile(run.getResultMs, 0.99).toFixed(1)} | |`,
  ];
}

async function main(): Promise<void> {
  log(`starting the app on port ${port} with a fresh database ${opts.database}…`);
  const app = spawn(
    process.execPath,
    [
      "--conditions=@errand/source",
      "--import",
      "tsx",
      path.join(webDir, "scripts", "errand-app.ts"),
      "start",
      "--port",
      String(port),
      "--fresh-database",
      opts.database,
    ],
    { stdio: ["ignore", "pipe", "pipe"], detached: true, env: { ...process.env } },
  );
  let appOutput = "";
  app.stdout.on("data", (chunk: Buffer) => (appOutput += chunk.toString()));
  app.stderr.on("data", (chunk: Buffer) => (appOutput += chunk.toString()));
  const stopApp = () => {
    try {
      process.kill(-app.pid!, "SIGTERM");
    } catch {
      // gone
    }
  };
  process.on("exit", stopApp);
  try {
    const deadline = Date.now() + 600_000;
    while (!appOutput.includes("Errand is running")) {
      if (Date.now() > deadline || app.exitCode !== null) throw new Error(`the app did not start:\n${appOutput}`);
      await sleep(500);
    }
    const pid = serverPid();
    // Warm up: compile routes, fill pools.
    for (let i = 0; i < 50; i++) await getResult((await enqueue()).id);
    await sleep(2000);
    const rows: string[] = [];
    const rss: [string, number][] = [["start (warmed up)", rssMb(pid)]];
    const conns: [string, number][] = [["idle", await pgConnections(opts.database)]];

    log(`phase 1: ${seconds} s of load, no stream`);
    const idle = await drive();
    rows.push(...summary("0 streams", idle));

    log(`phase 2: ${streamCount} streams, then ${seconds} s of load`);
    const streams = await Promise.all(Array.from({ length: streamCount }, openStream));
    const open = streams.filter((s) => s.status === 200).length;
    rss.push([`${open} streams open, before load`, rssMb(pid)]);
    const busy = await drive();
    rss.push([`${open} streams open, after ${seconds} s of load`, rssMb(pid)]);
    conns.push([`${open} streams`, await pgConnections(opts.database)]);
    rows.push(...summary(`${open} streams`, busy));
    const receiving = streams.filter((s) => s.events > 0).length;
    const eventsPerStream = streams.reduce((n, s) => n + s.events, 0) / Math.max(1, open);
    for (const s of streams) s.abort.abort();

    await sleep(2000);
    log(`phase 3: ${burstCount} streams opened at once`);
    const t0 = performance.now();
    const burst = await Promise.all(Array.from({ length: burstCount }, openStream));
    const burstMs = performance.now() - t0;
    const byStatus = new Map<string, number>();
    for (const s of burst) byStatus.set(String(s.status), (byStatus.get(String(s.status)) ?? 0) + 1);
    const probe: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t = performance.now();
      await getResult((await enqueue()).id);
      probe.push(performance.now() - t);
    }
    rss.push([`${byStatus.get("200") ?? 0} of the burst open`, rssMb(pid)]);
    conns.push([`burst`, await pgConnections(opts.database)]);
    for (const s of burst) s.abort.abort();

    log(`streams closed; waiting ${settleSeconds} s`);
    await sleep(5000);
    rss.push(["5 s after the streams closed", rssMb(pid)]);
    await sleep((settleSeconds - 5) * 1000);
    rss.push([`${settleSeconds} s after the streams closed`, rssMb(pid)]);

    console.log(`\n| load (${seconds} s, 20 enqueuers + 5 pollers) | rate | p50 ms | p99 ms | errors |`);
    console.log(`| --- | ---: | ---: | ---: | ---: |`);
    for (const row of rows) console.log(row);
    console.log(
      `\nthroughput with ${open} streams: ${((busy.perSecond / idle.perSecond) * 100).toFixed(0)} % of none (target ≥ 80 %); ` +
        `p99 ${(percentile(busy.enqueueMs, 0.99) / percentile(idle.enqueueMs, 0.99)).toFixed(2)}× (target ≤ 5×); ` +
        `${receiving} of ${open} streams received changes (${eventsPerStream.toFixed(0)} batches each)`,
    );
    console.log(
      `${burstCount} streams at once (${(burstMs / 1000).toFixed(1)} s): ` +
        [...byStatus].map(([status, n]) => `${n} × ${status}`).join(", ") +
        `; slowest answer ${(Math.max(...burst.map((s) => s.connectMs)) / 1000).toFixed(1)} s; ` +
        `enqueue + getResult meanwhile p50 ${percentile(probe, 0.5).toFixed(1)} ms, max ${Math.max(...probe).toFixed(0)} ms`,
    );
    console.log(`\n| web server RSS | MB |\n| --- | ---: |`);
    for (const [label, mb] of rss) console.log(`| ${label} | ${mb.toFixed(0)} |`);
    console.log(
      `\nRSS ${settleSeconds} s after close − start: ${(rss.at(-1)![1] - rss[0]![1]).toFixed(0)} MB (target ≤ 50)`,
    );
    console.log(`\n| Postgres connections to ${opts.database} | n |\n| --- | ---: |`);
    for (const [label, n] of conns) console.log(`| ${label} | ${n} |`);
    console.log(`\nload average: ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
  } finally {
    stopApp();
  }
}

await main();
process.exit(0);
