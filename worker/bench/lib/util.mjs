// Small helpers shared by the orchestrator, the scenario driver and the worker processes.
// Only Node built-ins here: the orchestrator imports this before the bench deps exist.

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Rejects after `ms` with a message naming `what`; the timer never keeps the process alive. */
export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    timer.unref?.();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Nearest-rank percentile of an unsorted array of numbers. */
export function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** The same server, another database: postgres://u@h:p/postgres → postgres://u@h:p/<name>. */
export function urlForDatabase(serverUrl, database) {
  const u = new URL(serverUrl);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Attaches the 'error' listener every pg Pool/Client needs (idle connections closed by the server). */
export function quietErrors(pgThing, label) {
  pgThing.on("error", (err) => {
    process.stderr.write(`[bench] ${label}: ${err.message}\n`);
  });
  return pgThing;
}
