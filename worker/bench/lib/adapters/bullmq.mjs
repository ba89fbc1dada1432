// BullMQ 6 on PostgreSQL (its `createPostgresBackend`, no Redis): the default set-up, and
// with the tuning its PostgreSQL guide documents (a pool sized for the concurrency,
// `removeOnComplete`, and `synchronous_commit = off` on its connections). Its worker
// claims one job per statement either way (batch fetching is BullMQ Pro only).
import pg from "pg";
import { Queue, Worker, createPostgresBackend, runMigrations } from "bullmq";

const QUEUE = "bench-noop";

export const variants = {
  bullmq: {
    connection: (url) => url,
    workerOptions: (concurrency) => ({ concurrency }),
  },
  "bullmq-tuned": {
    connection: (url, concurrency) => ({
      connectionString: url,
      max: Math.min(concurrency + 2, 25),
      options: "-c synchronous_commit=off",
    }),
    workerOptions: (concurrency) => ({ concurrency, removeOnComplete: { count: 0 } }),
  },
};

export function makeAdapter(key, { url, onTask }) {
  const variant = variants[key];
  let queue;
  return {
    key,
    enqueueSameAs: key === "bullmq" ? null : "bullmq",
    async setup() {
      const pool = new pg.Pool({ connectionString: url, max: 1 });
      const client = await pool.connect();
      try {
        await runMigrations(client);
      } finally {
        client.release();
        await pool.end();
      }
      queue = new Queue(QUEUE, { connection: url }, createPostgresBackend);
    },
    async enqueueOne(payload = {}) {
      await queue.add("noop", payload);
    },
    async enqueueBulk(n) {
      await queue.addBulk(Array.from({ length: n }, () => ({ name: "noop", data: {} })));
    },
    async startWorker({ concurrency }) {
      const worker = new Worker(
        QUEUE,
        async (job) => {
          onTask?.(job.data);
        },
        { connection: variant.connection(url, concurrency), ...variant.workerOptions(concurrency) },
        createPostgresBackend,
      );
      worker.on("error", (err) => process.stderr.write(`[bench] bullmq worker: ${err.message}\n`));
      await worker.waitUntilReady();
      return async () => {
        await worker.close();
      };
    },
    /** Completed rows, plus those the tuned worker removed on completion: enqueued − rows left. */
    async countDone(client, enqueued) {
      const { rows } = await client.query(
        "SELECT count(*) FILTER (WHERE state = 'completed')::int AS done, count(*)::int AS total FROM bullmq.job WHERE queue = $1",
        [QUEUE],
      );
      return rows[0].done + (enqueued - rows[0].total);
    },
    async close() {
      await queue?.close();
    },
  };
}
