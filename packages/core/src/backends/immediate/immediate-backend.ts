import { emitTaskEvent } from "../../events/task-events";
import { errorToTaskError } from "../../result/error-to-task-error";
import type { EnqueueRequest, TaskRecord } from "../../types";
import { TaskResult } from "../../result/task-result";
import type { ImmediateBackendSettings } from "./immediate-backend-settings";
import { getRegisteredTask } from "../../task/registry";
import { runTask } from "../../task/run-task";
import { MemoryBackend } from "../memory-backend";

/**
 * Runs each task inside `enqueue`, in this process, and keeps the results in memory: for
 * tests and small scripts. One attempt, no retries; the task's error is recorded on the
 * result, never thrown at the caller. Cannot defer (`runAfter`/`delay` are refused).
 */
export class ImmediateBackend extends MemoryBackend {
  readonly kind = "immediate" as const;
  readonly supportsDefer = false;
  readonly workerId = `immediate-${process.pid}`;

  constructor(alias: string, settings: ImmediateBackendSettings) {
    super(alias, settings);
  }

  async enqueue(request: EnqueueRequest): Promise<TaskRecord> {
    const record = this.newRecord(request);
    this.store(record);
    await this.#run(record);
    return structuredClone(record);
  }

  protected override async afterRetry(record: TaskRecord): Promise<void> {
    await this.#run(record);
  }

  async #run(record: TaskRecord): Promise<void> {
    const now = new Date();
    record.status = "RUNNING";
    record.attempts += 1;
    record.workerIds.push(this.workerId);
    record.startedAt ??= now;
    record.lastAttemptedAt = now;
    emitTaskEvent("started", structuredClone(record));
    let outcome;
    try {
      const task = getRegisteredTask(record.taskName);
      outcome = await runTask({
        task,
        result: new TaskResult(structuredClone(record), this),
        attempt: record.attempts,
        setProgress: async (done, total) => {
          record.progress = { done, total };
        },
      });
    } catch (error) {
      outcome = { ok: false as const, error };
    }
    record.finishedAt = new Date();
    if (outcome.ok) {
      record.status = "SUCCESSFUL";
      record.returnValue = outcome.returnValue;
    } else {
      record.status = "FAILED";
      record.errors.push(errorToTaskError(outcome.error, record.attempts, record.finishedAt));
    }
    emitTaskEvent("finished", structuredClone(record));
  }
}
