"use client";

import { useInfiniteQuery } from "@tanstack/react-query";
import type { TaskRecordJSON } from "@errand/trpc";
import { useErrandTRPC } from "../errand-provider";

/** What `useTaskList` filters on; empty means every task. */
export interface TaskListFilters {
  status?: "PENDING" | "RUNNING" | "SUCCESSFUL" | "FAILED" | undefined;
  queueName?: string | undefined;
  taskName?: string | undefined;
}

export interface UseTaskListOptions {
  /** Page size. Default 25. */
  limit?: number | undefined;
  /** Milliseconds between refreshes of the loaded pages; `false` stops. Default 2000. */
  refetchInterval?: number | false | undefined;
}

function clean(filters: TaskListFilters): TaskListFilters {
  return {
    ...(filters.status ? { status: filters.status } : {}),
    ...(filters.queueName ? { queueName: filters.queueName } : {}),
    ...(filters.taskName ? { taskName: filters.taskName } : {}),
  };
}

/**
 * Tasks, newest first, kept fresh by polling; `fetchNextPage()` loads older ones.
 *
 * @example
 * const { items, hasNextPage, fetchNextPage } = useTaskList({ status: "FAILED" });
 */
export function useTaskList(filters: TaskListFilters = {}, options: UseTaskListOptions = {}) {
  const trpc = useErrandTRPC();
  const query = useInfiniteQuery(
    trpc.list.infiniteQueryOptions(
      { ...clean(filters), limit: options.limit ?? 25 },
      {
        getNextPageParam: (page) => page.nextCursor ?? undefined,
        refetchInterval: options.refetchInterval ?? 2000,
        placeholderData: (previous) => previous,
      },
    ),
  );
  const items: TaskRecordJSON[] = query.data?.pages.flatMap((page) => page.items) ?? [];
  return { ...query, items };
}
