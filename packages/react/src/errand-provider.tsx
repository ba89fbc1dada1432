"use client";

import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink, type TRPCClient } from "@trpc/client";
import { EventSource as FetchEventSource } from "eventsource";
import { useState, type ReactNode } from "react";
import type { TaskRouter } from "@errand/trpc";
import { ErrandTRPCProvider } from "./errand-provider-context";
import { TaskFeedProvider } from "./live/task-feed";

export { useErrandTRPC, useErrandClient } from "./errand-provider-context";

export interface ErrandProviderProps {
  /** Where the task router is mounted. Default "/api/trpc". */
  url?: string | undefined;
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

function makeClient(url: string, headers: ErrandProviderProps["headers"]): TRPCClient<TaskRouter> {
  const readHeaders = typeof headers === "function" ? headers : () => headers ?? {};
  return createTRPCClient<TaskRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        // The browser's EventSource cannot send headers: with headers, one built on fetch.
        true: headers
          ? httpSubscriptionLink({
              url,
              EventSource: FetchEventSource,
              eventSourceOptions: () => ({
                fetch: (input, init) => fetch(input, { ...init, headers: { ...init.headers, ...readHeaders() } }),
              }),
            })
          : httpSubscriptionLink({ url }),
        // Within a server's `maxBatchSize` of 10 (the web app's): more calls go in more batches.
        false: httpBatchLink({ url, headers: readHeaders, maxItems: 10 }),
      }),
    ],
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
 */
export function ErrandProvider({
  url = "/api/trpc",
  headers,
  client,
  queryClient,
  live = true,
  pollInterval,
  children,
}: ErrandProviderProps) {
  const [ownQueryClient] = useState(() => queryClient ?? makeQueryClient());
  const [trpcClient] = useState(() => client ?? makeClient(url, headers));
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
