"use client";

import { useQuery } from "@tanstack/react-query";
import { isFinishedStatus } from "@errand/core/browser";
import type { TaskRecordJSON } from "@errand/trpc";
import { useErrandTRPC } from "../errand-provider-context";
import { useFeedRefetch } from "../live/task-feed";

export interface UseTaskResultOptions {
  /**
   * Milliseconds between polls while the task is not finished and the push stream is down;
   * `false`: never poll. Default: the provider's `pollInterval`, else 1000.
   */
  refetchInterval?: number | false | undefined;
  /** Set false to pause. Default true (when an id is given). */
  enabled?: boolean | undefined;
}

/**
 * Follows one task until it is SUCCESSFUL or FAILED: refetched as soon as the push stream
 * says it changed, polled every second while the stream is down. Give the task's return type
 * to type `returnValue` (or use the typed `tasks.<name>.getResult` procedures).
 *
 * @example
 * const { result, isFinished, live } = useTaskResult<TaskReturn<typeof buildReport>>(id);
 * if (result?.status === "SUCCESSFUL") result.returnValue?.url;
 */
export function useTaskResult<TReturn = unknown>(id: string | null | undefined, options: UseTaskResultOptions = {}) {
  const trpc = useErrandTRPC();
  const enabled = Boolean(id) && (options.enabled ?? true);
  const watchedId = id?.toLowerCase();
  const feed = useFeedRefetch({
    concerns: (event) =>
      enabled &&
      (event.type === "resync" || (event.type === "changes" && event.changes.some((c) => c.id === watchedId))),
    refetch: () => query.refetch(),
    fetching: () => query.isFetching,
    throttleMs: 100,
    interval: options.refetchInterval,
    defaultInterval: 1000,
  });
  const query = useQuery({
    ...trpc.getResult.queryOptions(
      { id: id ?? "" },
      {
        enabled,
        refetchInterval: (q) =>
          isFinishedStatus(q.state.data?.status) || q.state.error ? false : feed.refetchInterval,
        refetchIntervalInBackground: false,
      },
    ),
  });
  const result = query.data as TaskRecordJSON<TReturn> | undefined;
  return { ...query, result, isFinished: isFinishedStatus(result?.status), live: feed.live };
}
