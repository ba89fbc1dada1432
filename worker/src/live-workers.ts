/** Anything that can be stopped; a `Worker` in practice (kept structural to avoid a cycle). */
export interface LiveWorker {
  readonly workerId: string;
  stop(): Promise<void>;
}

const KEY = Symbol.for("errand.liveWorkers");
const live: Set<LiveWorker> =
  ((globalThis as Record<symbol, unknown>)[KEY] as Set<LiveWorker> | undefined) ?? new Set();
(globalThis as Record<symbol, unknown>)[KEY] = live;

/** Called by `Worker`: from `start()` until it has stopped. */
export function trackLiveWorker(worker: LiveWorker, stopped: Promise<void>): void {
  live.add(worker);
  void stopped.finally(() => live.delete(worker));
}

/**
 * The workers of this process that were started and have not stopped yet. For tests: fail a
 * test that leaves one running (Errand's own tests do, in an `afterEach`).
 *
 * @example
 * afterEach(async () => {
 *   const leaked = liveWorkers();
 *   await Promise.all(leaked.map((w) => w.stop()));
 *   expect(leaked.map((w) => w.workerId)).toEqual([]);
 * });
 */
export function liveWorkers(): LiveWorker[] {
  return [...live];
}
