// Errand, through its public API: tasks from @errand/core, the worker from @errand/worker,
// the schema from @errand/db: the built packages, or the TypeScript sources under
// `--import tsx` and the `@errand/source` condition (run.mjs --source).
import pg from "pg";
import { quietErrors, sleep } from "../util.mjs";

export class NotAvailable extends Error {}

/**
 * Loads Errand's packages, or throws NotAvailable saying what is missing. The enqueue
 * scenarios need only @errand/core and @errand/db; the worker ones need @errand/worker too.
 */
export async function loadErrand({ needWorker }) {
  const missing = [];
  const load = async (name) => {
    try {
      return await import(name);
    } catch (err) {
      missing.push(`${name} (${err.code ?? err.message.split("\n")[0]})`);
      return {};
    }
  };
  const [core, worker, db, kysely] = await Promise.all([
    load("@errand/core"),
    needWorker ? load("@errand/worker") : {},
    load("@errand/db"),
    load("kysely"),
  ]);
  if (typeof core.task !== "function") missing.push("task() from @errand/core");
  if (typeof core.configure !== "function") missing.push("configure() from @errand/core");
  if (needWorker && typeof worker.Worker !== "function") missing.push("Worker from @errand/worker");
  if (typeof db.migrate !== "function") missing.push("migrate() from @errand/db");
  if (missing.length) throw new NotAvailable(`not available yet: ${[...new Set(missing)].join("; ")}`);
  return { core, worker, db, kysely };
}

let noopTask;
let currentOnTask;

export async function makeAdapterAsync(key, { url, onTask, needWorker = true }) {
  const { core, worker, db, kysely } = await loadErrand({ needWorker });
  core.configure({ backends: { default: { backend: "database", url } } });
  currentOnTask = onTask;
  // Defined once per process, before any worker starts, so a worker process knows it by name.
  noopTask ??= core.task({ name: "bench.noop" }, async (payload) => {
    currentOnTask?.(payload);
  });
  return {
    key,
    enqueueSameAs: null,
    async setup() {
      const pool = quietErrors(new pg.Pool({ connectionString: url, max: 2 }), "errand migrate pool");
      const k = new kysely.Kysely({ dialect: new kysely.PostgresDialect({ pool }) });
      try {
        await db.migrate(k);
        // --without-dashboard-triggers: what the counters (0004) and the push feed (0005) cost.
        const without = process.env.ERRAND_BENCH_WITHOUT_TRIGGERS ?? "";
        for (const kind of ["count", "changes"]) {
          if (without !== "all" && without !== kind) continue;
          for (const op of ["insert", "update", "delete", "truncate"]) {
            await kysely.sql.raw(`DROP TRIGGER errand_tasks_${kind}_${op} ON errand_tasks`).execute(k);
          }
        }
        // ERRAND_BENCH_WITHOUT_TRIGGERS=dependencies: what releasing dependents (0007) costs a
        // drain of tasks without dependencies (the A/B of worker/bench/README.md).
        if (without === "dependencies") {
          await kysely.sql`DROP TRIGGER errand_tasks_dependencies_update ON errand_tasks`.execute(k);
        }
      } finally {
        await k.destroy();
      }
    },
    async enqueueOne(payload) {
      if (payload === undefined) await noopTask.enqueue();
      else await noopTask.enqueue(payload);
    },
    async enqueueBulk(n) {
      await noopTask.enqueueMany(Array.from({ length: n }, () => []));
    },
    async startWorker({ concurrency, workerId = `bench-${process.pid}` }) {
      const w = new worker.Worker({ queues: ["*"], concurrency, workerId });
      // ERRAND_BENCH_WATCHING=1: a push-feed subscriber (an open dashboard) during the drain.
      const stopWatching =
        process.env.ERRAND_BENCH_WATCHING === "1" ? await core.getBackend().watchChanges(() => undefined) : null;
      // start() may resolve once the worker runs, or only when it stops: do not wait on the latter.
      const running = Promise.resolve(w.start());
      running.catch((err) => process.stderr.write(`[bench] errand worker: ${err.stack ?? err}\n`));
      await Promise.race([running, sleep(1000)]);
      return async () => {
        stopWatching?.();
        await w.stop();
      };
    },
    async countDone(c) {
      const { rows } = await c.query("SELECT count(*)::int AS n FROM errand_tasks WHERE status = 'SUCCESSFUL'");
      return rows[0].n;
    },
    async close() {
      if (typeof core.closeBackends === "function") await core.closeBackends();
    },
  };
}
