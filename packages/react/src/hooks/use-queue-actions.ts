"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useErrandTRPC } from "../errand-provider-context";

/**
 * `pauseQueue` / `resumeQueue` (`{ name }`) and the bulk `retryMany` / `cancelMany` (a
 * filter: `queueName`, `taskName`, `enqueuedBefore`, `finishedBefore`) as mutations; each
 * bulk action answers `{ count }`. On success every task and queue query is refreshed.
 *
 * @example
 * const { pauseQueue, retryMany } = useQueueActions();
 * <button onClick={() => pauseQueue.mutate({ name: "email" })}>Pause email</button>
 * const { count } = await retryMany.mutateAsync({ queueName: "email" });
 */
export function useQueueActions() {
  const trpc = useErrandTRPC();
  const queryClient = useQueryClient();
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.pathKey() });
  const pauseQueue = useMutation(trpc.pauseQueue.mutationOptions({ onSuccess: refresh }));
  const resumeQueue = useMutation(trpc.resumeQueue.mutationOptions({ onSuccess: refresh }));
  const retryMany = useMutation(trpc.retryMany.mutationOptions({ onSuccess: refresh }));
  const cancelMany = useMutation(trpc.cancelMany.mutationOptions({ onSuccess: refresh }));
  return { pauseQueue, resumeQueue, retryMany, cancelMany };
}
