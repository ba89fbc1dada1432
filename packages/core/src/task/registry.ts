import { InvalidTask, TaskNotRegistered } from "../errors";
import type { RunnableTask } from "./runnable-task";

// On globalThis so that two copies of this module (a bundler's server layers, a test
// runner's module graph) share one registry.
const REGISTRY_KEY = Symbol.for("errand.taskRegistry");
type Registry = Map<string, RunnableTask>;
const registry: Registry =
  ((globalThis as Record<symbol, unknown>)[REGISTRY_KEY] as Registry | undefined) ?? new Map<string, RunnableTask>();
(globalThis as Record<symbol, unknown>)[REGISTRY_KEY] = registry;

/**
 * Registers a task under its name. The same definition evaluated again (hot reload, a
 * second bundle of the same module) replaces the first; a definition with other options or
 * another number of parameters under a taken name throws, since the worker could not tell
 * them apart.
 */
export function registerTask(task: RunnableTask): void {
  const existing = registry.get(task.name);
  if (existing && existing.definitionKey !== task.definitionKey) {
    throw new InvalidTask(
      `A task named "${task.name}" is already defined with another function or options. Task names must be unique: rename one of them.`,
      task.name,
    );
  }
  registry.set(task.name, task);
}

/** The task registered under `name`. @throws TaskNotRegistered */
export function getRegisteredTask(name: string): RunnableTask {
  const found = registry.get(name);
  if (!found) throw new TaskNotRegistered(name);
  return found;
}

/** Every registered task, by name. */
export function registeredTasks(): ReadonlyMap<string, RunnableTask> {
  return registry;
}

/** Forgets one task, or all of them. For tests that define tasks on the fly. */
export function unregisterTask(name?: string): void {
  if (name === undefined) registry.clear();
  else registry.delete(name);
}
