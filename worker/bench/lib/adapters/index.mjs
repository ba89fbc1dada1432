// The adapter registry. Every adapter module is loaded lazily, in the child process that runs it.
//
// An adapter: {
//   setup()                        create its schema in the (fresh) database
//   enqueueOne(payload?)           add one no-op task, awaited
//   enqueueBulk(n)                 add n no-op tasks in one call
//   startWorker({ concurrency })   start a worker; resolves to an async stop()
//   countDone(pgClient, enqueued)  how many tasks have completed, read from the database
//   close()                        release what setup() opened
//   enqueueSameAs                  another key whose enqueue path is identical (batching
//                                  variants change only the worker), or null
// }
// `onTask(payload)` is called when a task function starts (used by the latency scenario).

export const SYSTEMS = [
  "graphile",
  "graphile-batch",
  "pgboss",
  "pgboss-batch",
  "bullmq",
  "bullmq-tuned",
  "bare",
  "errand",
];

/** Column titles and what each set-up is, for the table and the README. */
export const SYSTEM_INFO = {
  graphile: {
    label: "graphile",
    note: "graphile-worker 0.18 defaults (maxPoolSize 10, prepared statements, one fetch per job)",
  },
  "graphile-batch": {
    label: "graphile batched",
    note: "graphile-worker 0.18 with localQueue.size 500, completeJobBatchDelay 0, failJobBatchDelay 0, maxPoolSize min(c+2, 25)",
  },
  pgboss: {
    label: "pg-boss",
    note: "pg-boss 12 defaults (batchSize 1, pollingIntervalSeconds 2, no NOTIFY), localConcurrency c",
  },
  "pgboss-batch": {
    label: "pg-boss batch",
    note: "pg-boss 12 with batchSize 50 and burstWhenBatchFull, localConcurrency c, pool max min(c+2, 25)",
  },
  bullmq: {
    label: "BullMQ",
    note: "BullMQ 6 on PostgreSQL (createPostgresBackend) defaults: pg pool max 10, one job claimed per statement, jobs kept, concurrency c",
  },
  "bullmq-tuned": {
    label: "BullMQ tuned",
    note: "BullMQ 6 on PostgreSQL with its guide's tuning: pool max min(c+2, 25), removeOnComplete, synchronous_commit off on its connections",
  },
  bare: {
    label: "bare SQL",
    note: "hand-written loop: c loops claim ≤50 rows with FOR UPDATE SKIP LOCKED, complete them in one UPDATE, LISTEN/NOTIFY wake-up",
  },
  errand: {
    label: "Errand",
    note: 'new Worker({ queues: ["*"], concurrency: c }) from @errand/worker (built; sources with --source), database backend',
  },
};

export const FAMILY = {
  graphile: "graphile",
  "graphile-batch": "graphile",
  pgboss: "pgboss",
  "pgboss-batch": "pgboss",
  bullmq: "bullmq",
  "bullmq-tuned": "bullmq",
  bare: "bare",
  errand: "errand",
};

/** Which systems need TypeScript loading (`--import tsx`) in their processes. */
export const NEEDS_TSX = new Set(["errand"]);

export async function makeAdapter(key, options) {
  const mod = await importFamily(FAMILY[key]);
  if (mod.makeAdapterAsync) return mod.makeAdapterAsync(key, options);
  return mod.makeAdapter(key, options);
}

function importFamily(family) {
  switch (family) {
    case "graphile":
      return import("./graphile.mjs");
    case "pgboss":
      return import("./pgboss.mjs");
    case "bullmq":
      return import("./bullmq.mjs");
    case "bare":
      return import("./bare.mjs");
    case "errand":
      return import("./errand.mjs");
    default:
      throw new Error(`unknown system family ${family}`);
  }
}
