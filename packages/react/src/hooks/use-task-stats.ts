"use client";

import { useQuery } from "@tanstack/react-query";
import { useErrandTRPC } from "../errand-provider-context";
import { useTaskFeed, useThrottled } from "../live/task-feed";

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
  const refetch = useThrottled(() => void query.refetch(), 500);
  const feed = useTaskFeed(() => refetch());
  const interval = options.refetchInterval ?? feed.pollInterval ?? 2000;
  const query = useQuery(trpc.stats.queryOptions(undefined, { refetchInterval: feed.live ? false : interval }));
  return { ...query, live: feed.live };
}
