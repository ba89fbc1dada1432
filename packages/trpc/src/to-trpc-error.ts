import { TRPCError } from "@trpc/server";
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server/rpc";
import { ErrandError, type ErrorCode } from "@errand/core";
import { toErrandError } from "@errand/core/internal";

/**
 * How each Errand error code reaches a tRPC client. Anything the caller can fix is a 4xx;
 * only a fault of the server or the database is INTERNAL_SERVER_ERROR.
 */
export const TRPC_CODE_BY_ERRAND_CODE: Record<ErrorCode, TRPC_ERROR_CODE_KEY> = {
  TASK_RESULT_DOES_NOT_EXIST: "NOT_FOUND",
  TASK_RESULT_MISMATCH: "BAD_REQUEST",
  INVALID_TASK: "BAD_REQUEST",
  INVALID_TASK_ARGUMENTS: "BAD_REQUEST",
  INVALID_TASK_BACKEND: "BAD_REQUEST",
  TASK_NOT_REGISTERED: "NOT_FOUND",
  TASK_NOT_FINISHED: "CONFLICT",
  TASK_FAILED: "CONFLICT",
  INVALID_RETURN_VALUE: "INTERNAL_SERVER_ERROR",
  TASK_TIMEOUT: "TIMEOUT",
  TASK_CANCELLED: "CONFLICT",
  LEASE_EXPIRED: "CONFLICT",
  NOT_SUPPORTED: "METHOD_NOT_SUPPORTED",
  FEED_UNAVAILABLE: "SERVICE_UNAVAILABLE",
  INVALID_CONFIG: "INTERNAL_SERVER_ERROR",
  INVALID_STATE: "CONFLICT",
  // Thrown by a task, never by the router; a task's failure is data in its result.
  DO_NOT_RETRY: "INTERNAL_SERVER_ERROR",
  // Stored on a task whose dependency failed; data in its result, like a task's own failure.
  DEPENDENCY_FAILED: "CONFLICT",
  INTERNAL: "INTERNAL_SERVER_ERROR",
  INVALID_ARGUMENT: "BAD_REQUEST",
  UNIQUE_KEY_CONTENDED: "CONFLICT",
};

/**
 * Turns anything thrown inside a procedure into a `TRPCError` with the matching code,
 * keeping the `ErrandError` as `cause` (the router's error formatter reads its `code`).
 */
export function toTRPCError(error: unknown): TRPCError {
  if (error instanceof TRPCError) return error;
  const errand = error instanceof ErrandError ? error : toErrandError(error);
  const code = TRPC_CODE_BY_ERRAND_CODE[errand.code] ?? "INTERNAL_SERVER_ERROR";
  return new TRPCError({
    code,
    // Never echo a database or driver message to the client.
    message:
      code === "INTERNAL_SERVER_ERROR" ? "Errand could not complete the request; see the server log." : errand.message,
    cause: errand,
  });
}
