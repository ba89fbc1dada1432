/**
 * The app command: one process that runs the web app and a worker side by side.
 *
 *   npm start            build web/ if its sources changed, then the web server + `errand worker`
 *                        (web/scripts/web-server.ts: `next start` with a listen queue for bursts)
 *   npm run dev          `next dev` + `errand worker`
 *
 * Options: --port N (3000), --hostname H (127.0.0.1), --no-build,
 * --fresh-database NAME (drop and create NAME on the DATABASE_URL server, for e2e runs).
 *
 * With DATABASE_URL unset, the embedded Postgres under .errand/ is started once here and
 * both children are given its URL, so a new machine needs no database server.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { resolveDatabaseUrl } from "./database-url";

const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const rootDir = path.resolve(webDir, "..");
const nextBin = path.join(rootDir, "node_modules", "next", "dist", "bin", "next");
/** The `errand` CLI from source, as the rest of the repo runs it (the packages' `@errand/source` condition, tsx). */
const errandCli = ["--conditions=@errand/source", "--import", "tsx", path.join(rootDir, "worker", "src", "cli.ts")];
const configPath = path.join(webDir, "errand.config.ts");
/** The production web server: Next's request handler on a server with a large listen backlog. */
const webServer = ["--expose-gc", "--import", "tsx", path.join(webDir, "scripts", "web-server.ts")];

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    port: { type: "string", default: process.env.PORT ?? "3000" },
    hostname: { type: "string", default: "127.0.0.1" },
    build: { type: "boolean", default: true },
    "no-build": { type: "boolean", default: false },
    "fresh-database": { type: "string" },
  },
});
const mode = positionals[0] ?? "start";
if (mode !== "start" && mode !== "dev") {
  console.error(`Unknown mode "${mode}". Use "start" or "dev".`);
  process.exit(2);
}
const port = values.port;
const hostname = values.hostname;

/** Every child, so a signal or a crash stops all of them. */
const children = new Map<string, ChildProcess>();
let stopping = false;

function log(message: string): void {
  console.log(`[errand] ${message}`);
}

function prefixed(name: string, stream: NodeJS.ReadableStream | null, out: NodeJS.WriteStream): void {
  if (!stream) return;
  let buffered = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const line of lines) out.write(`[${name}] ${line}\n`);
  });
  stream.on("end", () => {
    if (buffered) out.write(`[${name}] ${buffered}\n`);
  });
}

function run(name: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  // Own process group, so that stopping it also stops what it started (next-server).
  const child = spawn(process.execPath, args, { cwd: webDir, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  children.set(name, child);
  prefixed(name, child.stdout, process.stdout);
  prefixed(name, child.stderr, process.stderr);
  child.on("exit", (code, signal) => {
    children.delete(name);
    if (stopping) return;
    log(`${name} exited (${signal ?? `code ${code}`}); stopping the rest.`);
    void stop(code === 0 ? 1 : (code ?? 1));
  });
  return child;
}

function runToEnd(name: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: webDir, env, stdio: ["ignore", "pipe", "pipe"] });
    prefixed(name, child.stdout, process.stdout);
    prefixed(name, child.stderr, process.stderr);
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${name} failed with exit code ${code}`))));
  });
}

async function stop(exitCode: number): Promise<never> {
  stopping = true;
  const exits = [...children.entries()].map(
    ([name, child]) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.pid === undefined) return resolve();
        child.once("exit", () => resolve());
        try {
          process.kill(-child.pid, "SIGTERM");
        } catch {
          resolve();
        }
        // The worker lets running tasks finish; give it a while, then insist.
        setTimeout(() => {
          try {
            if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
            log(`${name} did not stop in time; killed.`);
          } catch {
            // already gone
          }
          resolve();
        }, 15_000).unref();
      }),
  );
  await Promise.all(exits);
  process.exit(exitCode);
}

/** The newest modification time under `dir`, skipping build output and dependencies. */
function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (["node_modules", ".next", "test-results", "e2e", ".errand", "docs"].includes(entry.name)) continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

function buildIsStale(): boolean {
  const buildId = path.join(webDir, ".next", "BUILD_ID");
  if (!existsSync(buildId)) return true;
  const built = statSync(buildId).mtimeMs;
  const sources = [
    webDir,
    ...["packages/core/src", "packages/trpc/src", "packages/react/src", "kysely/src"].map((p) => path.join(rootDir, p)),
  ];
  return sources.some((dir) => newestMtime(dir) > built);
}

async function waitForHealth(url: string, deadlineMs: number): Promise<boolean> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline && !stopping) {
    try {
      const response = await fetch(url);
      if (response.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

async function main(): Promise<void> {
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));

  const env: NodeJS.ProcessEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };
  env.DATABASE_URL = await resolveDatabaseUrl({ freshDatabase: values["fresh-database"], rootDir });
  log(`database: ${redact(env.DATABASE_URL)}`);

  if (mode === "start" && values.build && !values["no-build"] && buildIsStale()) {
    log("building the web app (next build)…");
    const started = Date.now();
    await runToEnd("build", [nextBin, "build"], { ...env, NODE_ENV: "production" });
    log(`built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }

  await runToEnd("migrate", [...errandCli, "migrate", "--config", configPath], env);

  const webArgs =
    mode === "start"
      ? [...webServer, "--port", port, "--hostname", hostname]
      : [nextBin, "dev", "-p", port, "-H", hostname];
  run("web", webArgs, { ...env, NODE_ENV: mode === "start" ? "production" : "development" });
  run("worker", [...errandCli, "worker", "--config", configPath, "--queue-name", "*"], env);

  const url = `http://${hostname === "0.0.0.0" ? "localhost" : hostname}:${port}`;
  if (await waitForHealth(`${url}/api/health`, 120_000)) {
    log(`Errand is running at ${url}  (dashboard: ${url}/  demo: ${url}/demo)  — Ctrl+C stops the app and the worker.`);
  } else if (!stopping) {
    log(`the web app did not answer on ${url}/api/health within 2 minutes.`);
    await stop(1);
  }
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]+@/, "//$1:***@");
}

main().catch(async (error: unknown) => {
  console.error(`[errand] ${error instanceof Error ? error.message : String(error)}`);
  await stop(1);
});
