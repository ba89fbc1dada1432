/**
 * An abort that may come from outside (worker shutdown, a lost lease) or from a timeout,
 * whose `AbortSignal` is only built when someone asks for it. Most tasks never read
 * `ctx.signal`, and an `AbortSignal` (an `EventTarget`) was the dearest thing a worker built
 * per task ("Design measurements" in worker/bench/README.md).
 *
 * @example
 * const abort = new LazyAbort();
 * abort.onAbort((reason) => console.log("aborted:", reason));
 * abort.abort(new Error("shutting down")); // ctx.signal, if read, is aborted too
 */
export class LazyAbort {
  #controller: AbortController | null = null;
  #aborted = false;
  #reason: unknown = undefined;
  #listeners: ((reason: unknown) => void)[] | null = null;

  /** Whether `abort()` was called. */
  get aborted(): boolean {
    return this.#aborted;
  }

  /** What `abort()` was called with. */
  get reason(): unknown {
    return this.#reason;
  }

  /** A standard signal, built on first use, aborted with the same reason. */
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** Aborts once; later calls do nothing. */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
    const listeners = this.#listeners;
    this.#listeners = null;
    for (const listener of listeners ?? []) listener(reason);
  }

  /** Calls `listener` once on abort (at once if already aborted). */
  onAbort(listener: (reason: unknown) => void): void {
    if (this.#aborted) listener(this.#reason);
    else (this.#listeners ??= []).push(listener);
  }
}
