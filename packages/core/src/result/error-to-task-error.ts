import type { TaskError } from "../types";

/** Tracebacks longer than this are cut in the middle; a runaway stack must not bloat the row. */
const MAX_TRACEBACK_LENGTH = 32_000;

/**
 * Turns anything a task threw into a stored `TaskError`: its class, message and full
 * stack with every `cause` appended (`Caused by: …`), like Python's chained tracebacks.
 * Non-`Error` throws (`throw "nope"`) are kept too, under `NonErrorThrown`.
 */
export function errorToTaskError(error: unknown, attempt: number, failedAt = new Date()): TaskError {
  return {
    exceptionClass: exceptionClassOf(error),
    message: messageOf(error),
    traceback: truncate(tracebackOf(error)),
    attempt,
    failedAt,
  };
}

function exceptionClassOf(error: unknown): string {
  if (error instanceof Error) {
    const ctorName = (error.constructor as { name?: string } | undefined)?.name;
    return error.name && error.name !== "Error" ? error.name : ctorName || "Error";
  }
  return "NonErrorThrown";
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === "string") return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}

function tracebackOf(error: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current !== undefined && current !== null && !seen.has(current)) {
    seen.add(current);
    const text =
      current instanceof Error
        ? (current.stack ?? `${exceptionClassOf(current)}: ${current.message}`)
        : `${exceptionClassOf(current)}: ${messageOf(current)}`;
    parts.push(parts.length === 0 ? text : `Caused by: ${text}`);
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join("\n");
}

function truncate(text: string): string {
  if (text.length <= MAX_TRACEBACK_LENGTH) return text;
  const half = MAX_TRACEBACK_LENGTH / 2;
  return `${text.slice(0, half)}\n… ${text.length - MAX_TRACEBACK_LENGTH} characters cut …\n${text.slice(-half)}`;
}
