// Drains N no-op tasks with one worker in this process and prints the rate; run under
// --cpu-prof to see where the worker's time goes.
//   node --conditions=@errand/source --import tsx --cpu-prof --cpu-prof-dir=/tmp/prof worker/bench/profile-drain.mjs 20000 1
import fs from "node:fs";
import pg from "pg";
import { Kysely, PostgresDialect } from "kysely";
import { configure, task, closeBackends } from "@errand/core";
import { migrate } from "@errand/db";
import { Worker } from "@errand/worker";

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
  await k.destroy();
  configure({ backends: { default: { backend: "database", url } } });
  const noop = task({ name: "bench.noop" }, async () => {});
  for (let i = 0; i < n; i += 5000) await noop.enqueueMany(Array.from({ length: Math.min(5000, n - i) }, () => []));
  const lines = {};
  const note = (msg, f = {}) => {
    const e = (lines[msg] ??= { n: 0, ms: 0, rows: 0 });
    e.n += 1;
    e.ms += typeof f.ms === "number" ? f.ms : 0;
    e.rows += typeof f.got === "number" ? f.got : typeof f.completed === "number" ? f.completed : 0;
  };
  const logger = { debug: note, info: note, warn: note, error: note };
  const worker = new Worker({ concurrency, batch: true, prefetch, logger });
  const cpu0 = process.cpuUsage();
  const machine0 = machineTicks();
  const t0 = performance.now();
  await worker.run();
  const s = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const machine1 = machineTicks();
  const busy = machine1.busy - machine0.busy;
  const all = busy + machine1.idle - machine0.idle;
  console.log(`drained ${worker.finishedCount} in ${s.toFixed(2)} s: ${Math.round(worker.finishedCount / s)} tasks/s`);
  console.log(
    `worker CPU ${Math.round((cpu.user + cpu.system) / 1000)} ms; machine ${Math.round((100 * busy) / all)} % busy (2 cores = 200 %: ${Math.round((200 * busy) / all)} %)`,
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

/** Busy and idle CPU ticks of the whole machine, from /proc/stat. */
function machineTicks() {
  const [, user, nice, system, idle, iowait, irq, softirq] = fs
    .readFileSync("/proc/stat", "utf8")
    .split("\n")[0]
    .split(/\s+/)
    .map(Number);
  return { busy: user + nice + system + irq + softirq, idle: idle + iowait };
}
