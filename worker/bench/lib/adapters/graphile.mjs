// graphile-worker 0.18: the default set-up, and with its batching options
// (local queue, batched completion), as its performance docs describe them.
import { Logger, makeWorkerUtils, run } from "graphile-worker";

const silent = new Logger(() => () => {});

export const variants = {
  graphile: {
    workerOptions: () => ({}),
  },
  "graphile-batch": {
    workerOptions: (concurrency) => ({
      maxPoolSize: Math.min(concurrency + 2, 25),
      preset: {
        worker: {
          preparedStatements: true,
          localQueue: { size: 500 },
          completeJobBatchDelay: 0,
          failJobBatchDelay: 0,
        },
      },
    }),
  },
};

export function makeAdapter(key, { url, onTask }) {
  const variant = variants[key];
  let utils;
  return {
    key,
    enqueueSameAs: key === "graphile" ? null : "graphile",
    async setup() {
      utils = await makeWorkerUtils({ connectionString: url, logger: silent });
      await utils.migrate();
    },
    async enqueueOne(payload = {}) {
      await utils.addJob("noop", payload);
    },
    async enqueueBulk(n) {
      const specs = Array.from({ length: n }, () => ({ identifier: "noop", payload: {} }));
      await utils.addJobs(specs);
    },
    async startWorker({ concurrency }) {
      const runner = await run({
        connectionString: url,
        concurrency,
        noHandleSignals: true,
        logger: silent,
        taskList: {
          noop: async (payload) => {
            onTask?.(payload);
          },
        },
        ...variant.workerOptions(concurrency),
      });
      return async () => {
        await runner.stop();
      };
    },
    /** Graphile deletes a job once it completed: done = enqueued − rows left. */
    async countDone(client, enqueued) {
      const { rows } = await client.query("SELECT count(*)::int AS n FROM graphile_worker._private_jobs");
      return enqueued - rows[0].n;
    },
    async close() {
      await utils?.release();
    },
  };
}
