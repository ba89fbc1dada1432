import type { TaskContext } from "./task-context";

/**
 * What the registry keeps and what runs one attempt: the part of a `Task` a worker or the
 * immediate backend needs. Its own module so that those need not import `task.ts` (which
 * imports the configuration, which makes the backends).
 */
export interface RunnableTask {
  readonly name: string;
  readonly takesContext: boolean;
  /** Seconds one attempt may run, or `null`. */
  readonly timeout: number | null;
  /** `"thread"`: a worker runs each attempt in its own worker thread. */
  readonly isolate: "thread" | null;
  /** Identifies the definition, to tell a re-evaluated module from a name clash. */
  readonly definitionKey: string;
  /** Seconds before retrying after failed attempt number `attempts`. */
  backoff(attempts: number): number;
  /** Runs the function with these (already normalised) arguments. */
  run(context: TaskContext | null, args: unknown[]): Promise<unknown>;
}
