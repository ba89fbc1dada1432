import { InvalidTaskBackend } from "../../errors";

/** Settings of a backend that runs each task inside `enqueue` (tests, scripts). */
export interface ImmediateBackendSettings {
  backend: "immediate";
  queues?: string[] | undefined;
  /**
   * How many finished results it keeps in memory for `getResult` and `list`: past it, the
   * result that finished longest ago is forgotten (`getResult` of its id then throws
   * `TaskResultDoesNotExist`), so a long-running process does not grow without bound.
   * Default 1,000; `0` keeps none; `Infinity` keeps all (tests that inspect everything).
   */
  maxResults?: number | undefined;
}

/** `maxResults` with its default (1,000), checked: configure() calls it so a bad value fails at once. */
export function immediateMaxResults(alias: string, settings: ImmediateBackendSettings): number {
  const maxResults = settings.maxResults ?? 1000;
  if (maxResults === Infinity || (Number.isInteger(maxResults) && maxResults >= 0)) return maxResults;
  throw new InvalidTaskBackend(
    alias,
    `Backend "${alias}": maxResults must be a whole number ≥ 0 (or Infinity to keep every result), got ${String(settings.maxResults)}.`,
  );
}
