import type { TRPCMutationProcedure, TRPCQueryProcedure } from "@trpc/server";
import { InvalidTask, type AnyTask, type TaskArgs, type TaskReturn } from "@errand/core";
import type { TaskRecordJSON } from "./task-record-json";

/** Per-enqueue options through tRPC: `delay` in seconds, `runAfter` as an ISO 8601 string. */
export interface EnqueueOptionsInput {
  priority?: number | undefined;
  delay?: number | undefined;
  runAfter?: string | undefined;
}

/** The two procedures every listed task gets under `tasks.<its name as a path>`. */
// A type alias, not an interface: a router record needs the implicit index signature.
export type TaskProcedures<T extends AnyTask> = {
  /** Enqueues this task; `args` typed from its function's parameters. */
  enqueue: TRPCMutationProcedure<{
    input: { args: TaskArgs<T>; options?: EnqueueOptionsInput | undefined };
    output: TaskRecordJSON<TaskReturn<T>>;
    meta: object;
  }>;
  /** One result of this task (`BAD_REQUEST` if the id belongs to another task). */
  getResult: TRPCQueryProcedure<{
    input: { id: string };
    output: TaskRecordJSON<TaskReturn<T>>;
    meta: object;
  }>;
};

type Segments<S extends string> = S extends `${infer Head}.${infer Rest}` ? [Head, ...Segments<Rest>] : [S];
type Nest<P extends string[], V> = P extends [infer Head extends string, ...infer Rest extends string[]]
  ? { [K in Head]: Nest<Rest, V> }
  : V;
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
type TaskOf<E> = E extends { task: infer T extends AnyTask } ? T : E extends AnyTask ? E : never;

/**
 * The `tasks` sub-router's type: `"accounts.sendWelcomeEmail"` becomes
 * `tasks.accounts.sendWelcomeEmail.{enqueue, getResult}`.
 */
export type TaskProcedureTree<TTasks extends readonly unknown[]> = UnionToIntersection<
  { [I in keyof TTasks]: TaskBranch<TaskOf<TTasks[I]>> }[number]
> &
  object;

/** A task whose name is a plain `string` (not a literal) has no typed path: nothing to add. */
type TaskBranch<T extends AnyTask> = string extends T["name"] ? unknown : Nest<Segments<T["name"]>, TaskProcedures<T>>;

const PROCEDURE_NAMES = new Set(["enqueue", "getResult"]);

/**
 * Places each task's procedures at the path of its name. A name whose segment is empty, or
 * is `enqueue`/`getResult`, or whose path is another task's procedure, cannot be a path.
 */
export function buildTaskProcedureTree(
  names: readonly string[],
  proceduresFor: (name: string) => Record<string, unknown>,
): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const name of names) {
    const segments = name.split(".");
    if (segments.some((s) => s.length === 0 || PROCEDURE_NAMES.has(s))) {
      throw new InvalidTask(
        `Task "${name}" cannot be exposed as tasks.${name}: a segment of its name is empty or is "enqueue"/"getResult". Rename the task.`,
        name,
      );
    }
    let node = root;
    for (const segment of segments) {
      const next = (node[segment] ??= {}) as Record<string, unknown>;
      node = next;
    }
    Object.assign(node, proceduresFor(name));
  }
  return root;
}
