import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, promises as fs } from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { EmbeddedPostgresError } from "./embedded-postgres-error";

const run = promisify(execFile);

/**
 * Where the embedded server keeps its data: `ERRAND_HOME`, else `.errand/` in the nearest
 * folder (upwards from the working directory) that holds a lock file or `.git`, so the web
 * app and the worker of one project find the same server whatever their working directory.
 */
export function embeddedHome(dir?: string): string {
  if (dir) return path.resolve(dir);
  if (process.env.ERRAND_HOME) return path.resolve(process.env.ERRAND_HOME);
  let current = process.cwd();
  for (;;) {
    for (const marker of ["package-lock.json", "pnpm-lock.yaml", "yarn.lock", ".git"]) {
      const candidate = path.join(/* turbopackIgnore: true */ current, marker);
      // Bundlers (Next.js' file tracing) must not read this walk as "needs the whole project".
      if (existsSync(/* turbopackIgnore: true */ candidate)) return path.join(current, ".errand");
    }
    const parent = path.dirname(current);
    if (parent === current) return path.join(process.cwd(), ".errand");
    current = parent;
  }
}

/**
 * Starts (or joins) the project's embedded Postgres and returns its connection string.
 * The server runs detached, so every process of the project (web app, workers, scripts)
 * shares it and it outlives them; `stopEmbeddedPostgres()` stops it. First start
 * initialises a cluster (≈1 s); later starts take ≈0.1 s; joining a running one is one
 * connection.
 */
export async function ensureEmbeddedPostgres(dir?: string): Promise<string> {
  const home = embeddedHome(dir);
  const data = await dataDir(home);
  const running = await runningServerUrl(data);
  if (running) return running;
  await fs.mkdir(home, { recursive: true });
  const release = await lock(path.join(home, "start.lock"));
  try {
    const again = await runningServerUrl(data);
    if (again) return again;
    const bin = await binaries();
    const owner = await serverUser();
    if (!existsSync(path.join(data, "PG_VERSION"))) {
      await fs.mkdir(data, { recursive: true, mode: 0o700 });
      if (owner) await fs.chown(data, owner.uid, owner.gid);
      await run(bin.initdb, ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"], {
        ...(owner ?? {}),
      });
    }
    const port = await freePort();
    await run(
      bin.pg_ctl,
      [
        "start",
        "-D",
        data,
        "-w",
        "-t",
        "60",
        "-l",
        path.join(data, "errand-server.log"),
        "-o",
        `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''`,
      ],
      { ...(owner ?? {}) },
    );
    const url = urlFor(port);
    if (!(await canConnect(url))) {
      throw new EmbeddedPostgresError(
        `The embedded Postgres started but does not answer on port ${port}; see ${path.join(data, "errand-server.log")}, or set DATABASE_URL to use your own server.`,
      );
    }
    return url;
  } finally {
    await release();
  }
}

/** Stops the project's embedded Postgres, if it runs. */
export async function stopEmbeddedPostgres(dir?: string): Promise<boolean> {
  const data = await dataDir(embeddedHome(dir));
  if (!(await runningServerUrl(data))) return false;
  const bin = await binaries();
  const owner = await serverUser();
  await run(bin.pg_ctl, ["stop", "-D", data, "-m", "fast", "-w"], { ...(owner ?? {}) });
  return true;
}

/**
 * `<home>/pgdata`, unless the server runs as the `postgres` user (we are root) and cannot
 * reach that folder (a project under `/root`, whose mode is 0700): then a folder of its
 * own under `/var/tmp/errand/`, named after the project's home, so it persists and stays
 * one per project.
 */
export async function embeddedDataDir(dir?: string): Promise<string> {
  return dataDir(embeddedHome(dir));
}

async function dataDir(home: string): Promise<string> {
  const inHome = path.join(home, "pgdata");
  if (os.userInfo().uid !== 0 || (await reachableByOthers(home))) return inHome;
  const key = createHash("sha1").update(home).digest("hex").slice(0, 12);
  await fs.mkdir(path.join("/var/tmp/errand", key), { recursive: true, mode: 0o755 });
  await fs.chmod("/var/tmp/errand", 0o755).catch(() => undefined);
  return path.join("/var/tmp/errand", key, "pgdata");
}

async function reachableByOthers(dir: string): Promise<boolean> {
  let current = path.resolve(dir);
  for (;;) {
    const stat = await fs.stat(current).catch(() => null);
    if (stat && (stat.mode & 0o001) === 0) return false;
    const parent = path.dirname(current);
    if (parent === current) return true;
    current = parent;
  }
}

function urlFor(port: number): string {
  return `postgres://postgres@127.0.0.1:${port}/postgres`;
}

async function runningServerUrl(data: string): Promise<string | null> {
  let pidFile: string;
  try {
    pidFile = await fs.readFile(path.join(data, "postmaster.pid"), "utf8");
  } catch {
    return null;
  }
  const lines = pidFile.split("\n");
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!pid || !port) return null;
  try {
    process.kill(pid, 0);
  } catch {
    return null;
  }
  const url = urlFor(port);
  return (await canConnect(url)) ? url : null;
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A cross-process lock: `mkdir` is atomic. A lock older than a minute is a crashed holder's. */
async function lock(dir: string): Promise<() => Promise<void>> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    try {
      await fs.mkdir(dir);
      return () => fs.rm(dir, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const stat = await fs.stat(dir).catch(() => null);
      if (stat && Date.now() - stat.mtimeMs > 60_000) {
        await fs.rm(dir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new EmbeddedPostgresError(
          `Timed out waiting for another process to start the embedded Postgres (lock ${dir}). Remove that folder if no Errand process is running.`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Postgres refuses to run as root: as root, run it as the `postgres` user, creating it if needed. */
async function serverUser(): Promise<{ uid: number; gid: number } | null> {
  if (os.userInfo().uid !== 0) return null;
  const ids = async () => ({
    uid: Number((await run("id", ["-u", "postgres"])).stdout.trim()),
    gid: Number((await run("id", ["-g", "postgres"])).stdout.trim()),
  });
  try {
    return await ids();
  } catch {
    await run("groupadd", ["--system", "postgres"]).catch(() => undefined);
    await run("useradd", ["--system", "-g", "postgres", "postgres"]);
    return ids();
  }
}

const EMBEDDED_PACKAGE = "embedded-postgres";

interface Binaries {
  initdb: string;
  pg_ctl: string;
}

async function binaries(): Promise<Binaries> {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    // Resolved from embedded-postgres, which depends on the package for this platform.
    // Resolved at run time only: a bundler that followed these names would try to bundle
    // the binaries of every platform into a server build that never starts Postgres.
    const require = createRequire(import.meta.url);
    const fromMain = createRequire(require.resolve(/* turbopackIgnore: true */ EMBEDDED_PACKAGE));
    const entry = fromMain.resolve(/* turbopackIgnore: true */ pkg);
    const bin = path.join(path.dirname(entry), "..", "native", "bin");
    return { initdb: path.join(bin, "initdb"), pg_ctl: path.join(bin, "pg_ctl") };
  } catch (error) {
    throw new EmbeddedPostgresError(
      `No DATABASE_URL is set and the embedded Postgres for ${os.platform()}-${os.arch()} (${pkg}) is not installed. Set DATABASE_URL, or run npm install on a supported platform.`,
      { cause: error },
    );
  }
}
