"use client";

import { useQuery } from "@tanstack/react-query";
import { useErrandTRPC } from "../errand-provider";

/**
 * Counts by status and queue and the last hour's throughput, refreshed every 2 s.
 *
 * @example
 * const { data } = useTaskStats();
 * data?.byStatus.PENDING;
 */
export function useTaskStats(options: { refetchInterval?: number | false | undefined } = {}) {
  const trpc = useErrandTRPC();
  return useQuery(trpc.stats.queryOptions(undefined, { refetchInterval: options.refetchInterval ?? 2000 }));
}
