import type { Backend } from "./backend";

/** `Backend "jobs" (LoggingBackend)`: how every message names a backend. */
export function describeBackend(backend: Pick<Backend, "alias" | "kind">): string {
  return `Backend "${backend.alias}" (${backend.kind})`;
}
