"use client";

import { useEffect } from "react";
import { useQuery } from "@tanstack/react-query";
import { useErrandTRPC } from "../errand-provider-context";

/**
 * The tasks that wait (or waited) on task `id`: what finishing it unblocks, oldest first, with
 * their status. Pass the task's status as `key`: each change of it refetches the list.
 *
 * @example
 * const { data: unblocks = [] } = useTaskDependents(result.id, result.status);
 */
export function useTaskDependents(id: string | null | undefined, key?: string) {
  const trpc = useErrandTRPC();
  const query = useQuery(trpc.dependents.queryOptions({ id: id ?? "" }, { enabled: Boolean(id) }));
  const { refetch } = query;
  useEffect(() => {
    if (id && key) void refetch();
  }, [id, key, refetch]);
  return query;
}
