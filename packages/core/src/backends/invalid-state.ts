import { ERROR_CODES, ErrandError } from "../errors";
import type { TaskStatus } from "../types";

/** `cancel`/`retry` on a task in the wrong status. */
export function invalidState(id: string, action: "cancel" | "retry", status: TaskStatus): ErrandError {
  const allowed = action === "cancel" ? "PENDING or RUNNING" : "FAILED";
  return new ErrandError(
    ERROR_CODES.INVALID_STATE,
    `Cannot ${action} task ${id}: it is ${status}, and only ${allowed} tasks can be ${action === "cancel" ? "cancelled" : "retried"}.`,
  );
}
