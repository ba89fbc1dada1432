"use client";

import { useQuery } from "@tanstack/react-query";
import type { TaskRecordJSON } from "@errand/trpc";
import { useErrandTRPC } from "../errand-provider";

export interface UseTaskResultOptions {
  /** Milliseconds between polls while the task is not finished. Default 1000. */
  refetchInterval?: number | undefined;
  /** Set false to pause. Default true (when an id is given). */
  enabled?: boolean | undefined;
}

/** Whether a task has reached SUCCESSFUL or FAILED. */
export function isFinishedStatus(status: string | undefined): boolean {
  return status === "SUCCESSFUL" || status === "FAILED";
}

/**
 * Follows one task: polls `getResult` every second until it is SUCCESSFUL or FAILED, then
 * stops. Give the task's return type to type `returnValue`.
 *
 * @example
 * const { result, isFinished } = useTaskResult<TaskReturn<typeof buildReport>>(id);
 * if (result?.status === "SUCCESSFUL") result.returnValue?.url;
 */
export function useTaskResult<TReturn = unknown>(id: string | null | undefined, options: UseTaskResultOptions = {}) {
  const trpc = useErrandTRPC();
  const interval = options.refetchInterval ?? 1000;
  const query = useQuery({
    ...trpc.getResult.queryOptions(
      { id: id ?? "" },
      {
        enabled: Boolean(id) && (options.enabled ?? true),
        refetchInterval: (q) => (isFinishedStatus(q.state.data?.status) || q.state.error ? false : interval),
        refetchIntervalInBackground: false,
      },
    ),
  });
  const result = query.data as TaskRecordJSON<TReturn> | undefined;
  return { ...query, result, isFinished: isFinishedStatus(result?.status) };
}
