/**
 * Delays between retries of a database call that failed (server restarting, connection
 * killed): 100 ms doubling to `maxMs`, with ±20 % jitter so a fleet does not reconnect in
 * step. `reset()` after a success.
 */
export class Backoff {
  readonly #minMs: number;
  readonly #maxMs: number;
  #next: number;

  constructor(options: { minMs?: number; maxMs?: number } = {}) {
    this.#minMs = options.minMs ?? 100;
    this.#maxMs = options.maxMs ?? 5_000;
    this.#next = this.#minMs;
  }

  /** The delay to wait now; the one after it is twice as long. */
  next(): number {
    const base = this.#next;
    this.#next = Math.min(this.#next * 2, this.#maxMs);
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }

  reset(): void {
    this.#next = this.#minMs;
  }

  /** True after at least one failure since the last reset. */
  get failing(): boolean {
    return this.#next > this.#minMs;
  }
}

/** Resolves after `ms`; a timer that does not keep the process alive on its own. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
