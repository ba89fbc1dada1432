"use client";

import { useInfiniteQuery } from "@tanstack/react-query";
import { changeConcerns } from "@errand/core/browser";
import type { TaskFilter, TaskRecordJSON } from "@errand/trpc";
import { useErrandTRPC } from "../errand-provider-context";
import { useFeedRefetch } from "../live/task-feed";

/** What `useTaskList` filters on (core's `TaskFilter`); empty means every task. */
export type { TaskFilter };

/** The page size of `useTaskList` (and of `TaskDashboard`) when none is given: a screenful. */
const DEFAULT_PAGE_SIZE = 25;

export interface UseTaskListOptions {
  /** Page size, at most the router's `MAX_LIST_LIMIT` (500). Default 25. */
  limit?: number | undefined;
  /**
   * Milliseconds between refreshes of the loaded pages while the push stream is down;
   * `false`: never poll. Default: the provider's `pollInterval`, else 2000.
   */
  refetchInterval?: number | false | undefined;
}

function clean(filters: TaskFilter): TaskFilter {
  return {
    ...(filters.status ? { status: filters.status } : {}),
    ...(filters.queueName ? { queueName: filters.queueName } : {}),
    ...(filters.taskName ? { taskName: filters.taskName } : {}),
  };
}

/**
 * Tasks, newest first, refreshed when the push stream says a matching task changed (polled
 * while it is down); `fetchNextPage()` loads older ones.
 *
 * @example
 * const { items, hasNextPage, fetchNextPage } = useTaskList({ status: "FAILED" });
 */
export function useTaskList(filters: TaskFilter = {}, options: UseTaskListOptions = {}) {
  const trpc = useErrandTRPC();
  const input = clean(filters);
  const feed = useFeedRefetch({
    concerns: (event) =>
      event.type === "resync" || (event.type === "changes" && event.changes.some((c) => changeConcerns(c, input))),
    refetch: () => query.refetch(),
    fetching: () => query.isFetching,
    throttleMs: 250,
    interval: options.refetchInterval,
    defaultInterval: 2000,
  });
  const query = useInfiniteQuery(
    trpc.list.infiniteQueryOptions(
      { ...input, limit: options.limit ?? DEFAULT_PAGE_SIZE },
      {
        getNextPageParam: (page) => page.nextCursor ?? undefined,
        refetchInterval: feed.refetchInterval,
        placeholderData: (previous) => previous,
      },
    ),
  );
  const items: TaskRecordJSON[] = query.data?.pages.flatMap((page) => page.items) ?? [];
  return { ...query, items, live: feed.live };
}
