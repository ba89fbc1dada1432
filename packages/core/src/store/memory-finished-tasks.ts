// The memory store's bound on kept results: which finished tasks it still holds, and which
// to forget once there are more than `maxFinished`.

/**
 * Ids of a `MemoryTaskStore`'s finished tasks (SUCCESSFUL/FAILED), least recently
 * finished first, at most `max` of them.
 *
 * @example
 * const finished = new MemoryFinishedTasks(2);
 * finished.finish("a"); finished.finish("b");
 * finished.finish("c"); // ["a"]: forget task "a"
 */
export class MemoryFinishedTasks {
  readonly #ids = new Set<string>();
  readonly #max: number;

  /** @param max keep at most this many; `Infinity`: no limit. */
  constructor(max: number) {
    this.#max = max;
  }

  /** Counts `id` as finished now; returns the ids finished longest ago past the limit, to forget. */
  finish(id: string): string[] {
    this.#ids.delete(id);
    this.#ids.add(id);
    const forgotten: string[] = [];
    for (const oldest of this.#ids) {
      if (this.#ids.size <= this.#max) break;
      this.#ids.delete(oldest);
      forgotten.push(oldest);
    }
    return forgotten;
  }

  /** No longer counts `id` (retried or deleted). */
  delete(id: string): void {
    this.#ids.delete(id);
  }

  /** Forgets every id. */
  clear(): void {
    this.#ids.clear();
  }
}
