// Drains N no-op tasks with one worker in this process and prints the rate; run under
// --cpu-prof to see where the worker's time goes.
//   node --conditions=@errand/source --import tsx --cpu-prof --cpu-prof-dir=/tmp/prof worker/bench/profile-drain.mjs 20000 1
//   ERRAND_PROFILE_WITHOUT=dependencies node worker/bench/profile-drain.mjs 20000 10   # without a trigger
import fs from "node:fs";
import pg from "pg";
import { Kysely, PostgresDialect, sql } from "kysely";
import { configure, task, closeBackends } from "@errand/core";
import { migrate } from "@errand/db";
import { Worker } from "@errand/worker";

/** Clock ticks a second of /proc's CPU times (USER_HZ: 100 on Linux). */
const TICKS_PER_S = 100;
const n = Number(process.argv[2] ?? 20000);
const concurrency = Number(process.argv[3] ?? 1);
const prefetch = process.argv[4] === undefined ? undefined : Number(process.argv[4]);
const server = "postgres://postgres@127.0.0.1:5432";
const name = `prof_${process.pid}`;
const admin = new pg.Client({ connectionString: `${server}/postgres` });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const url = `${server}/${name}`;
try {
  const k = new Kysely({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 2 }) }),
  });
  await migrate(k);
  // ERRAND_PROFILE_WITHOUT="dependencies changes": drop those update triggers (0007, 0005)
  // after migrating, to see what each costs a drain.
  for (const kind of (process.env.ERRAND_PROFILE_WITHOUT ?? "").split(/[\s,]+/).filter(Boolean)) {
    await sql.raw(`DROP TRIGGER errand_tasks_${kind}_update ON errand_tasks`).execute(k);
  }
  await k.destroy();
  configure({ backends: { default: { backend: "database", url } } });
  const noop = task({ name: "bench.noop" }, async () => {});
  for (let i = 0; i < n; i += 5000) await noop.enqueueMany(Array.from({ length: Math.min(5000, n - i) }, () => []));
  // As the bench does after its prefill: without statistics, the planner takes the freshly
  // filled table for a few rows and may sort every PENDING row in each claim.
  if (!process.env.ERRAND_PROFILE_NO_ANALYZE) {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query("ANALYZE");
    await c.end();
  }
  const lines = {};
  const note = (msg, f = {}) => {
    const e = (lines[msg] ??= { n: 0, ms: 0, rows: 0 });
    e.n += 1;
    e.ms += typeof f.ms === "number" ? f.ms : 0;
    e.rows += typeof f.got === "number" ? f.got : typeof f.completed === "number" ? f.completed : 0;
  };
  const logger = { debug: note, info: note, warn: note, error: note };
  const worker = new Worker({ concurrency, batch: true, prefetch, logger });
  const watch = new pg.Client({ connectionString: `${server}/postgres` });
  await watch.connect();
  const pg0 = await backendTicks(watch, name);
  const cpu0 = process.cpuUsage();
  const machine0 = machineTicks();
  // ERRAND_PROFILE_CPU=FILE: a CPU profile of the drain alone (not the enqueue before it).
  const profiler = process.env.ERRAND_PROFILE_CPU ? await startProfiler() : null;
  const t0 = performance.now();
  await worker.run();
  if (profiler) fs.writeFileSync(process.env.ERRAND_PROFILE_CPU, JSON.stringify(await profiler.stop()));
  const s = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const machine1 = machineTicks();
  const pg1 = await backendTicks(watch, name);
  await watch.end();
  let pgTicks = 0;
  for (const [pid, t] of pg1) pgTicks += t - (pg0.get(pid) ?? 0);
  const done = worker.finishedCount;
  const busy = machine1.busy - machine0.busy;
  const all = busy + machine1.idle - machine0.idle;
  console.log(`drained ${worker.finishedCount} in ${s.toFixed(2)} s: ${Math.round(worker.finishedCount / s)} tasks/s`);
  const workerUs = cpu.user + cpu.system;
  console.log(
    `per task: worker CPU ${(workerUs / done).toFixed(1)} µs, Postgres ${((pgTicks * 1e6) / TICKS_PER_S / done).toFixed(1)} µs (its backends serving this database; ${pgTicks} ticks)`,
  );
  console.log(
    `worker CPU ${Math.round(workerUs / 1000)} ms; machine ${Math.round((100 * busy) / all)} % busy (2 cores = 200 %: ${Math.round((200 * busy) / all)} %)`,
  );
  for (const [msg, e] of Object.entries(lines))
    if (e.ms > 0)
      console.log(
        `${msg}: ${e.n}× avg ${(e.ms / e.n).toFixed(1)} ms, ${(e.rows / e.n).toFixed(0)} rows, total ${e.ms.toFixed(0)} ms`,
      );
  await closeBackends();
} finally {
  await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
  await admin.end();
}

/**
 * CPU ticks (user + system) each Postgres backend connected to `database` has used so far,
 * from /proc/<pid>/stat: what the server spent on this worker's statements (the server
 * runs on this machine). A backend that ends between two readings is not counted.
 */
async function backendTicks(client, database) {
  const { rows } = await client.query("SELECT pid FROM pg_stat_activity WHERE datname = $1", [database]);
  const ticks = new Map();
  for (const { pid } of rows) {
    try {
      const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
      ticks.set(pid, Number(fields[11]) + Number(fields[12]));
    } catch {
      // the backend ended meanwhile
    }
  }
  return ticks;
}

/** Starts the V8 profiler of this thread; `stop()` resolves with the profile. */
async function startProfiler() {
  const { Session } = await import("node:inspector");
  const session = new Session();
  session.connect();
  const post = (method, params) =>
    new Promise((resolve, reject) => session.post(method, params, (e, r) => (e ? reject(e) : resolve(r))));
  await post("Profiler.enable");
  await post("Profiler.start");
  return {
    stop: async () => {
      const { profile } = await post("Profiler.stop");
      session.disconnect();
      return profile;
    },
  };
}

/** Busy and idle CPU ticks of the whole machine, from /proc/stat. */
function machineTicks() {
  const [, user, nice, system, idle, iowait, irq, softirq] = fs
    .readFileSync("/proc/stat", "utf8")
    .split("\n")[0]
    .split(/\s+/)
    .map(Number);
  return { busy: user + nice + system + irq + softirq, idle: idle + iowait };
}
