import type { TaskResult } from "../result/task-result";

/**
 * What a task defined with `takesContext: true` gets as its first argument.
 *
 * @example
 * task({ name: "reports.build", takesContext: true }, async (ctx, month: string) => {
 *   for (let i = 0; i < 10; i++) { ctx.signal.throwIfAborted(); await ctx.setProgress(i + 1, 10); }
 * });
 */
export interface TaskContext<TReturn = unknown> {
  /** This run's result, as the worker claimed it. */
  taskResult: TaskResult<TReturn>;
  /** 1 on the first run, 2 on the first retry, … */
  attempt: number;
  /** Aborted when the task times out or the worker shuts down past its grace period. */
  signal: AbortSignal;
  /** Stores how far the task is, for progress bars. `total` may be omitted when unknown. */
  setProgress(done: number, total?: number): Promise<void>;
}
