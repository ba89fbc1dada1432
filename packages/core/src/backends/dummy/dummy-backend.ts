import { MemoryTaskStore } from "../../store/memory-task-store";
import type { TaskStore } from "../../store/task-store";
import type { TaskRecord } from "../../types";
import { StoreBackend } from "../store-backend";
import type { DummyBackendSettings } from "./dummy-backend-settings";

/**
 * Stores tasks in memory, PENDING, and never runs them: for tests that check what was
 * enqueued without running it.
 *
 * @example
 * const fake = getBackend("fake") as DummyBackend;
 * await sendEmail.using({ backend: "fake" }).enqueue(1);
 * expect(fake.results.map((r) => r.args)).toEqual([[1]]);
 * fake.clear();
 */
export class DummyBackend extends StoreBackend {
  readonly kind = "dummy" as const;
  readonly supportsDefer = true;
  readonly #store = new MemoryTaskStore();

  constructor(alias: string, settings: DummyBackendSettings) {
    super(alias, settings);
  }

  protected async getStore(): Promise<TaskStore> {
    return this.#store;
  }

  /** Everything enqueued since the last `clear()`, oldest first (copies). */
  get results(): TaskRecord[] {
    return this.#store.records();
  }

  /** Forgets everything enqueued. */
  clear(): void {
    this.#store.clear();
  }
}
