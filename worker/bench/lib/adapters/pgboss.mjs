// pg-boss 12: the default set-up, and with batch fetch.
import { PgBoss } from "pg-boss";

const QUEUE = "bench-noop";

export const variants = {
  pgboss: {
    workOptions: (concurrency) => ({ localConcurrency: concurrency }),
  },
  "pgboss-batch": {
    max: (concurrency) => Math.min(concurrency + 2, 25),
    workOptions: (concurrency) => ({
      localConcurrency: concurrency,
      batchSize: 50,
      burstWhenBatchFull: true,
    }),
  },
};

export function makeAdapter(key, { url, onTask }) {
  const variant = variants[key];
  let boss;
  const open = async (concurrency) => {
    const options = { connectionString: url };
    if (variant.max && concurrency) options.max = variant.max(concurrency);
    const b = new PgBoss(options);
    b.on("error", (err) => process.stderr.write(`[bench] pg-boss: ${err.message}\n`));
    await b.start();
    return b;
  };
  return {
    key,
    enqueueSameAs: key === "pgboss" ? null : "pgboss",
    async setup() {
      boss = await open();
      await boss.createQueue(QUEUE);
    },
    async enqueueOne(payload = {}) {
      await boss.send(QUEUE, payload);
    },
    async enqueueBulk(n) {
      await boss.insert(
        QUEUE,
        Array.from({ length: n }, () => ({ data: {} })),
      );
    },
    async startWorker({ concurrency }) {
      // A worker process opens its own instance; the latency scenario reuses the driver's.
      const own = !boss;
      const b = own ? await open(concurrency) : boss;
      await b.work(QUEUE, variant.workOptions(concurrency), async (jobs) => {
        for (const job of jobs) onTask?.(job.data);
      });
      return async () => {
        await b.offWork(QUEUE);
        if (own) await b.stop({ graceful: true, timeout: 5000 });
      };
    },
    async countDone(client) {
      const { rows } = await client.query(
        "SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1 AND state = 'completed'",
        [QUEUE],
      );
      return rows[0].n;
    },
    async close() {
      await boss?.stop({ graceful: true, timeout: 5000 });
    },
  };
}
