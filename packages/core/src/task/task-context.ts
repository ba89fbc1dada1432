import type { TaskResult } from "../result/task-result";
import type { TaskDependency } from "../types";

/** A task of any arguments returning `TReturn`, as `dependenciesOf` reads it (structurally, to keep this module light). */
interface NamedTask<TReturn> {
  readonly name: string;
  /** Phantom: carries the task's return type. */
  run(context: never, args: never): Promise<unknown>;
  enqueue(...args: never[]): Promise<TaskResult<TReturn>>;
}

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
  /**
   * What the tasks this one waited for returned (`using({ dependsOn })`), in that order;
   * `[]` when it waited for nothing. Each dependency succeeded, or this task would not run.
   */
  dependencies: TaskDependency[];
  /**
   * The dependencies that are runs of `task`, in `dependsOn` order, typed by what `task`
   * returns.
   *
   * @example
   * const thumbnails = ctx.dependenciesOf(resize).map((d) => d.returnValue.url);
   */
  dependenciesOf<TReturn>(task: NamedTask<TReturn>): TaskDependency<TReturn>[];
}
