// The lease heartbeat, in its own thread with its own connection: it renews the leases of
// the tasks its worker holds even while the worker's event loop is blocked (a task doing
// seconds of synchronous work), and watches that event loop. Plain JavaScript with no
// import but `pg`, so the same file runs from the sources (tests, tsx) and from the built
// package (copied to dist/ beside cli.js).
//
// Messages in: { type: "hold" | "release", ids }, { type: "stop" }.
// Messages out: { type: "lost", ids } (renewals that did not take), { type: "error", message },
// { type: "stopped" }.
import { writeSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import pg from "pg";

/** @type {{ connectionString: string, workerId: string, leaseSeconds: number, renewSql: string,
 *   tick: BigInt64Array, stallWarnMs: number, maxStallMs: number | null }} */
const options = workerData;
const held = new Set();
let client = null;
let connecting = null;
let renewing = false;
let stopped = false;
let warnedStall = 0;
/** Renewals failed in a row: the first failure is retried at once on a new connection. */
let failures = 0;

/** A log line on stderr, written synchronously: the worker's logger lives on the blocked thread. */
function log(level, msg, fields) {
  const line = { time: new Date().toISOString(), level, msg, workerId: options.workerId, ...fields };
  try {
    writeSync(2, `${JSON.stringify(line)}\n`);
  } catch {
    // A closed stderr must not end the heartbeat.
  }
}

async function connection() {
  if (client) return client;
  connecting ??= (async () => {
    const c = new pg.Client({ connectionString: options.connectionString, application_name: "errand heartbeat" });
    c.on("error", () => {
      // The next renewal reconnects.
      if (client === c) client = null;
    });
    await c.connect();
    client = c;
    return c;
  })().finally(() => {
    connecting = null;
  });
  return connecting;
}

async function renew() {
  if (renewing || held.size === 0 || stopped) return;
  renewing = true;
  const ids = [...held];
  try {
    const c = await connection();
    const { rows } = await c.query(options.renewSql, [ids, options.workerId, options.leaseSeconds]);
    if (rows.length < ids.length) {
      const kept = new Set(rows.map((r) => r.id));
      const lost = ids.filter((id) => !kept.has(id) && held.has(id));
      for (const id of lost) held.delete(id);
      if (lost.length > 0) parentPort.postMessage({ type: "lost", ids: lost });
    }
    failures = 0;
  } catch (error) {
    if (client) {
      client.end().catch(() => {});
      client = null;
    }
    parentPort.postMessage({ type: "error", message: error instanceof Error ? error.message : String(error) });
    // A cut connection (a restarted server, a killed backend) should not cost a whole tick of
    // the lease: try once more now, on a new connection; after that, at each tick.
    if (failures++ === 0) setTimeout(() => void renew(), 50);
  } finally {
    renewing = false;
  }
}

/** The worker's event loop writes the time into `tick` every 250 ms; a stale tick is a stall. */
function watch() {
  const stalledMs = Date.now() - Number(Atomics.load(options.tick, 0));
  if (stalledMs < options.stallWarnMs) {
    warnedStall = 0;
    return;
  }
  if (options.maxStallMs !== null && stalledMs >= options.maxStallMs) {
    log("error", "event loop blocked past --max-stall; ending the process so other workers rescue its tasks", {
      stalledMs,
      maxStallMs: options.maxStallMs,
      tasks: held.size,
    });
    process.kill(process.pid, "SIGKILL");
    return;
  }
  // Once per stall, then every further stallWarnMs of it.
  if (stalledMs >= warnedStall + options.stallWarnMs) {
    warnedStall = stalledMs;
    log("warn", "event loop blocked; the heartbeat keeps renewing the leases of this worker's tasks", {
      stalledMs,
      tasks: held.size,
    });
  }
}

const timers = [
  setInterval(() => void renew(), (options.leaseSeconds * 1000) / 3),
  setInterval(watch, Math.min(1000, options.stallWarnMs / 2)),
];

parentPort.on("message", async (message) => {
  if (message.type === "hold") for (const id of message.ids) held.add(id);
  else if (message.type === "release") for (const id of message.ids) held.delete(id);
  else if (message.type === "stop") {
    stopped = true;
    for (const timer of timers) clearInterval(timer);
    await client?.end().catch(() => {});
    parentPort.postMessage({ type: "stopped" });
    parentPort.close();
  }
});
