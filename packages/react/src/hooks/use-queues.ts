"use client";

import { useQuery } from "@tanstack/react-query";
import { useErrandTRPC } from "../errand-provider-context";
import { useFeedRefetch } from "../live/task-feed";

/**
 * While the push stream is live, queues are still read this often: a pause or resume made
 * elsewhere (the CLI, another dashboard) changes no task, so no task change announces it.
 */
const PAUSE_STATE_INTERVAL_MS = 5000;

/**
 * Every queue: paused or not, pending/running/failed, its concurrency and rate limits and
 * its oldest due task. Refreshed when the push stream reports task changes (at most every
 * 500 ms) and every 5 s for pauses made elsewhere; polled every 2 s while the stream is down.
 *
 * @example
 * const { data: queues } = useQueues();
 * queues?.filter((q) => q.paused).map((q) => q.name);
 */
export function useQueues(
  options: {
    /** Milliseconds between polls while the push stream is down; `false`: never poll. */
    refetchInterval?: number | false | undefined;
    /** Set false to not query at all. Default true. */
    enabled?: boolean | undefined;
  } = {},
) {
  const enabled = options.enabled ?? true;
  const trpc = useErrandTRPC();
  const feed = useFeedRefetch({
    concerns: () => enabled,
    refetch: () => query.refetch(),
    fetching: () => query.isFetching,
    throttleMs: 500,
    interval: options.refetchInterval,
    defaultInterval: 2000,
  });
  const refetchInterval =
    feed.refetchInterval === false && options.refetchInterval !== false
      ? PAUSE_STATE_INTERVAL_MS
      : feed.refetchInterval;
  const query = useQuery(trpc.queues.queryOptions(undefined, { enabled, refetchInterval }));
  return { ...query, live: feed.live };
}
