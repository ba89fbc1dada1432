"use client";

import { useQuery } from "@tanstack/react-query";
import { useErrandTRPC } from "../errand-provider-context";
import { useFeedRefetch } from "../live/task-feed";

/**
 * Counts by status and queue and the last hour's throughput, refreshed when the push stream
 * reports changes (at most every 500 ms), polled every 2 s while it is down.
 *
 * @example
 * const { data } = useTaskStats();
 * data?.byStatus.PENDING;
 */
export function useTaskStats(options: { refetchInterval?: number | false | undefined } = {}) {
  const trpc = useErrandTRPC();
  const feed = useFeedRefetch({
    concerns: () => true,
    refetch: () => query.refetch(),
    fetching: () => query.isFetching,
    throttleMs: 500,
    interval: options.refetchInterval,
    defaultInterval: 2000,
  });
  const query = useQuery(trpc.stats.queryOptions(undefined, { refetchInterval: feed.refetchInterval }));
  return { ...query, live: feed.live };
}
