import type { EnqueueRequest, TaskRecord } from "../../types";
import type { DummyBackendSettings } from "./dummy-backend-settings";
import { MemoryBackend } from "../memory-backend";

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
export class DummyBackend extends MemoryBackend {
  readonly kind = "dummy" as const;
  readonly supportsDefer = true;

  constructor(alias: string, settings: DummyBackendSettings) {
    super(alias, settings);
  }

  async enqueue(request: EnqueueRequest): Promise<TaskRecord> {
    const record = this.newRecord(request);
    this.store(record);
    return structuredClone(record);
  }

  /** Everything enqueued since the last `clear()`, oldest first (copies). */
  get results(): TaskRecord[] {
    return structuredClone([...this.records.values()]);
  }

  /** Forgets everything enqueued. */
  clear(): void {
    this.records.clear();
  }
}
