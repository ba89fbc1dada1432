import { ERROR_CODES, ErrandError } from "../errors";
import { isFinishedStatus } from "../task/task-status";
import type { TaskCreator, TaskError, TaskProgress, TaskRecord, TaskRecordSource, TaskStatus } from "../types";

/**
 * What `enqueue` returns and `getResult` finds: a snapshot of one task, refreshable.
 *
 * @example
 * const r = await sendWelcomeEmail.enqueue(42);
 * while (!r.isFinished) { await sleep(500); await r.refresh(); }
 * if (r.status === "SUCCESSFUL") console.log(r.returnValue.sent);
 */
export class TaskResult<TReturn = unknown> {
  #record: TaskRecord;
  readonly #source: TaskRecordSource;

  /** `source` is where `refresh()` reloads from: the backend that stores the task. */
  constructor(record: TaskRecord, source: TaskRecordSource) {
    this.#record = record;
    this.#source = source;
  }

  get id(): string {
    return this.#record.id;
  }
  get status(): TaskStatus {
    return this.#record.status;
  }
  /** SUCCESSFUL or FAILED: nothing will change any more. */
  get isFinished(): boolean {
    return isFinishedStatus(this.#record.status);
  }
  /**
   * What the task returned. Throws unless the task is SUCCESSFUL, which is the only way to
   * tell "returned null" from "has no result yet".
   */
  get returnValue(): TReturn {
    if (this.#record.status === "SUCCESSFUL") return this.#record.returnValue as TReturn;
    if (this.#record.status === "FAILED") {
      throw new ErrandError(
        ERROR_CODES.TASK_FAILED,
        `Task failed: ${this.#record.taskName} (${this.id}); read .errors for why.`,
      );
    }
    throw new ErrandError(
      ERROR_CODES.TASK_NOT_FINISHED,
      `Task has not finished yet: ${this.#record.taskName} (${this.id}) is ${this.#record.status}; await refresh() until isFinished.`,
    );
  }
  /** One entry per failed attempt, oldest first. */
  get errors(): TaskError[] {
    return this.#record.errors;
  }
  get attempts(): number {
    return this.#record.attempts;
  }
  get maxAttempts(): number {
    return this.#record.maxAttempts;
  }
  get enqueuedAt(): Date {
    return this.#record.enqueuedAt;
  }
  get runAfter(): Date {
    return this.#record.runAfter;
  }
  /** The first attempt's start. */
  get startedAt(): Date | null {
    return this.#record.startedAt;
  }
  get lastAttemptedAt(): Date | null {
    return this.#record.lastAttemptedAt;
  }
  get finishedAt(): Date | null {
    return this.#record.finishedAt;
  }
  /** The worker of each attempt, in order. */
  get workerIds(): string[] {
    return this.#record.workerIds;
  }
  get args(): unknown[] {
    return this.#record.args;
  }
  get taskName(): string {
    return this.#record.taskName;
  }
  get queueName(): string {
    return this.#record.queueName;
  }
  get priority(): number {
    return this.#record.priority;
  }
  /** The alias of the backend that stores it. */
  get backend(): string {
    return this.#record.backend;
  }
  get progress(): TaskProgress | null {
    return this.#record.progress;
  }
  get repeat(): number | null {
    return this.#record.repeat;
  }
  get repeatUntil(): Date | null {
    return this.#record.repeatUntil;
  }
  get verboseName(): string | null {
    return this.#record.verboseName;
  }
  get creator(): TaskCreator | null {
    return this.#record.creator;
  }

  /** The task's unique key, if it was enqueued with one. */
  get uniqueKey(): string | null {
    return this.#record.uniqueKey;
  }
  /**
   * `true` when `enqueue` stored nothing because a task with the same `uniqueKey` was PENDING
   * or RUNNING: this result is that task.
   */
  get deduplicated(): boolean {
    return this.#record.deduplicated === true;
  }
  /** The ids of the tasks this one waits for (`using({ dependsOn })`), in that order. */
  get dependsOn(): string[] {
    return this.#record.dependsOn;
  }
  /** How many of `dependsOn` have not succeeded yet; it runs once this is 0. */
  get waitingOn(): number {
    return this.#record.waitingOn;
  }
  /** When a cancel of this RUNNING task was asked for (its worker then aborts it), else `null`. */
  get cancelRequestedAt(): Date | null {
    return this.#record.cancelRequestedAt;
  }

  /**
   * Cancels the task: a PENDING one is FAILED at once with a `TaskCancelled` error; a RUNNING
   * one is aborted by its worker (its `signal` aborts with `TaskCancelled`) and stored FAILED
   * with that error, never retried. Updates this snapshot.
   *
   * @throws ErrandError `INVALID_STATE` (tRPC: CONFLICT) when the task already finished.
   * @example
   * const r = await buildReport.enqueue("2026-01");
   * await r.cancel();
   */
  async cancel(): Promise<this> {
    const fresh = await this.#source.cancel(this.id);
    this.#apply(fresh);
    return this;
  }

  /** Reloads the mutable state (status, timestamps, errors, return value, workers, progress) from the backend. */
  async refresh(): Promise<this> {
    this.#apply(await this.#source.getRecord(this.id));
    return this;
  }

  #apply(fresh: TaskRecord): void {
    this.#record = {
      ...this.#record,
      status: fresh.status,
      runAfter: fresh.runAfter,
      startedAt: fresh.startedAt,
      lastAttemptedAt: fresh.lastAttemptedAt,
      finishedAt: fresh.finishedAt,
      attempts: fresh.attempts,
      workerIds: fresh.workerIds,
      returnValue: fresh.returnValue,
      errors: fresh.errors,
      progress: fresh.progress,
      cancelRequestedAt: fresh.cancelRequestedAt,
    };
  }

  /** A plain copy of the snapshot (what the tRPC router sends). */
  toJSON(): TaskRecord {
    return structuredClone(this.#record);
  }
}
