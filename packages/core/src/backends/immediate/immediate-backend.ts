import { BACKEND_OPTIONS, CONFIGURE_SURFACE } from "../../config/config-options";
import { checkOptions } from "../../options/check-options";
import { emitTaskEvent } from "../../events/task-events";
import { errorToTaskError } from "../../result/error-to-task-error";
import { TaskResult } from "../../result/task-result";
import { MemoryTaskStore } from "../../store/memory-task-store";
import type { TaskStore } from "../../store/task-store";
import { getRegisteredTask } from "../../task/registry";
import { runTask, type RunOutcome } from "../../task/run-task";
import type { BulkTaskFilter, TaskRecord } from "../../types";
import { ERROR_CODES, ErrandError } from "../../errors";
import { matchesBulkFilter } from "../../store/memory-queues";
import { StoreBackend } from "../store-backend";
import type { ImmediateBackendSettings } from "./immediate-backend-settings";

/** Finished results an immediate backend keeps by default (see `maxResults`). */
const DEFAULT_MAX_RESULTS = 10_000;

/** Nothing rescues tasks in this backend's store; the lease only has to outlast the run. */
const LEASE_SECONDS = 365 * 24 * 60 * 60;

/**
 * Runs each task inside `enqueue`, in this process, and keeps the results in memory: for
 * tests and small scripts. One attempt, no retries, no repeats; the task's error is
 * recorded on the result, never thrown at the caller. Cannot defer (`runAfter`/`delay` are
 * refused).
 *
 * Flow control does not apply: a task runs inside its `enqueue` whether its queue is paused
 * (`pauseQueue` is recorded and `queues()` shows it, but nothing waits) and whatever the
 * queue's `concurrency`/`rateLimit` or the task's `concurrencyKey` (the key is still
 * computed, checked and stored).
 */
export class ImmediateBackend extends StoreBackend {
  readonly kind = "immediate" as const;
  readonly supportsDefer = false;
  readonly workerId = `immediate-${process.pid}`;
  readonly #store: MemoryTaskStore;

  constructor(alias: string, settings: ImmediateBackendSettings) {
    super(alias, settings);
    // configure() checks these settings; a backend made directly is checked the same way.
    checkOptions(settings, BACKEND_OPTIONS.immediate, { ...CONFIGURE_SURFACE, at: ["backends", alias] });
    const maxResults = settings.maxResults ?? DEFAULT_MAX_RESULTS;
    this.#store = new MemoryTaskStore({ maxFinished: maxResults });
  }

  protected async getStore(): Promise<TaskStore> {
    return this.#store;
  }

  /** As `retry` for each matching FAILED task: each runs again now. */
  override async retryMany(filter: BulkTaskFilter = {}): Promise<number> {
    const status = filter.status ?? "FAILED";
    if (status !== "FAILED") {
      throw new ErrandError(ERROR_CODES.INVALID_STATE, `retryMany retries FAILED tasks only, got status "${status}".`);
    }
    let count = 0;
    for (const record of this.#store.records()) {
      if (!matchesBulkFilter(record, { ...filter, status })) continue;
      await this.retry(record.id).then(
        () => (count += 1),
        () => undefined,
      );
    }
    return count;
  }

  /** Runs each task now, one after the other, and returns the finished records. */
  protected override async afterPending(records: TaskRecord[]): Promise<TaskRecord[]> {
    const out: TaskRecord[] = [];
    for (const record of records) out.push((await this.#run(record.id)) ?? record);
    return out;
  }

  /** Claims this task, runs one attempt and stores its outcome, through the store. */
  async #run(id: string): Promise<TaskRecord | undefined> {
    const store = this.#store;
    const workerId = this.workerId;
    const [claimed] = await store.taskClaimBatch({
      queues: "*",
      ids: [id],
      limit: 1,
      workerId,
      leaseSeconds: LEASE_SECONDS,
      ignoreFlow: true,
    });
    if (!claimed) return undefined;
    emitTaskEvent("started", structuredClone(claimed));
    this.localFeed.announce([claimed], new Map([[id, "PENDING"]]));
    let outcome: RunOutcome;
    try {
      outcome = await runTask({
        task: getRegisteredTask(claimed.taskName),
        result: new TaskResult(structuredClone(claimed), this),
        attempt: claimed.attempts,
        dependencies: claimed.dependsOn.length > 0 ? await store.taskDependencies({ id }) : [],
        setProgress: async (done, total) => {
          await store.taskSetProgress({ id, workerId, done, total });
        },
      });
    } catch (error) {
      outcome = { ok: false, error };
    }
    let finished: TaskRecord[];
    if (outcome.ok) {
      finished = await store.taskComplete({
        workerId,
        results: [{ id, returnValue: outcome.json }],
        scheduleRepeats: false,
      });
    } else {
      const error = errorToTaskError(outcome.error, claimed.attempts);
      finished = await store.taskFail({
        workerId,
        failures: [{ id, error: { ...error, failedAt: error.failedAt.toISOString() }, retryDelay: null }],
      });
    }
    const [record] = finished;
    if (record) {
      emitTaskEvent("finished", structuredClone(record));
      this.localFeed.announce([record], new Map([[id, "RUNNING"]]));
    }
    return record;
  }
}
