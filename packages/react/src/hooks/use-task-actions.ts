"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useErrandTRPC } from "../errand-provider-context";

/**
 * `cancel` (PENDING, or RUNNING: its worker stops it) and `retry` (FAILED only) as mutations; on success every task
 * query is refreshed.
 *
 * @example
 * const { cancel, retry } = useTaskActions();
 * <button onClick={() => cancel.mutate({ id })} disabled={cancel.isPending}>Cancel</button>
 */
export function useTaskActions() {
  const trpc = useErrandTRPC();
  const queryClient = useQueryClient();
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.pathKey() });
  const cancel = useMutation(trpc.cancel.mutationOptions({ onSuccess: refresh }));
  const retry = useMutation(trpc.retry.mutationOptions({ onSuccess: refresh }));
  return { cancel, retry };
}
