"use client";

import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import type { TRPCClient } from "@trpc/client";
import { useState, type ReactNode } from "react";
import type { TaskRouter } from "@errand/trpc";
import { createErrandClient, type ErrandTransformer } from "./create-errand-client";
import { ErrandTRPCProvider } from "./errand-provider-context";
import { TaskFeedProvider } from "./live/task-feed";

export { useErrandTRPC, useErrandClient } from "./errand-provider-context";

export interface ErrandProviderProps {
  /** Where the task router is mounted, or your app's endpoint when it is nested there. Default "/api/trpc". */
  url?: string | undefined;
  /**
   * Where Errand's procedures sit in your app's router, e.g. "tasks" for
   * `createTRPCRouter({ post, tasks: tasksRouter })`. Default: the root of `url`.
   */
  path?: string | undefined;
  /** Your app's transformer (superjson) when Errand is nested in its router. */
  transformer?: ErrandTransformer | undefined;
  /** Headers for every request (the push stream too), e.g. an authorization token. */
  headers?: Record<string, string> | (() => Record<string, string>) | undefined;
  /**
   * Your own client for the task router; `url` and `headers` are then ignored. Route its
   * subscriptions through `httpSubscriptionLink` for the push stream (else the hooks poll).
   */
  client?: TRPCClient<TaskRouter> | undefined;
  /** Your app's QueryClient, to share its cache; one is made otherwise. */
  queryClient?: QueryClient | undefined;
  /**
   * Keep the hooks fresh by push: one `watch` stream (SSE) for the page. Default true. While
   * it is down (or off) the hooks poll.
   */
  live?: boolean | undefined;
  /**
   * Milliseconds between polls while the push stream is not live, for every hook that is not
   * given its own interval; `false`: never poll (only pushes update). Default: each hook's own
   * (1 s for a task's result, 2 s for lists and counts).
   */
  pollInterval?: number | false | undefined;
  children: ReactNode;
}

function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // A 4xx (not found, forbidden, bad input) will not change by asking again.
        retry: (failures, error) => {
          const status = (error as { data?: { httpStatus?: number } }).data?.httpStatus;
          return (status === undefined || status >= 500) && failures < 3;
        },
        refetchOnWindowFocus: true,
      },
    },
  });
}

/**
 * Connects the hooks and components below it to a mounted `createTaskRouter()`, and keeps
 * them fresh through one push stream (`watch`), polling while it is down.
 *
 * @example
 * <ErrandProvider url="/api/trpc" headers={{ authorization: `Bearer ${token}` }}>
 *   <TaskDashboard />
 * </ErrandProvider>
 * // Nested in a create-t3-app router at `tasks`, with its superjson:
 * <ErrandProvider url="/api/trpc" path="tasks" transformer={superjson}><TaskDashboard /></ErrandProvider>
 */
export function ErrandProvider({
  url = "/api/trpc",
  path,
  transformer,
  headers,
  client,
  queryClient,
  live = true,
  pollInterval,
  children,
}: ErrandProviderProps) {
  const [ownQueryClient] = useState(() => queryClient ?? makeQueryClient());
  const [trpcClient] = useState(() => client ?? createErrandClient({ url, path, transformer, headers }));
  const activeQueryClient = queryClient ?? ownQueryClient;
  return (
    <QueryClientProvider client={activeQueryClient}>
      <ErrandTRPCProvider trpcClient={trpcClient} queryClient={activeQueryClient}>
        <TaskFeedProvider enabled={live} pollInterval={pollInterval}>
          {children}
        </TaskFeedProvider>
      </ErrandTRPCProvider>
    </QueryClientProvider>
  );
}
