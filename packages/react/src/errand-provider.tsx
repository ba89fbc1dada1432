"use client";

import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink, type TRPCClient } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { useState, type ReactNode } from "react";
import type { TaskRouter } from "@errand/trpc";

const context = createTRPCContext<TaskRouter>();

/** The tRPC options proxy of the task router, for your own queries and mutations. */
export const useErrandTRPC = context.useTRPC;
/** The raw tRPC client of the task router. */
export const useErrandClient = context.useTRPCClient;

export interface ErrandProviderProps {
  /** Where the task router is mounted. Default "/api/trpc". */
  url?: string | undefined;
  /** Headers for every request, e.g. an authorization token. */
  headers?: Record<string, string> | (() => Record<string, string>) | undefined;
  /** Your own client for the task router; `url` and `headers` are then ignored. */
  client?: TRPCClient<TaskRouter> | undefined;
  /** Your app's QueryClient, to share its cache; one is made otherwise. */
  queryClient?: QueryClient | undefined;
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
 * Connects the hooks and components below it to a mounted `createTaskRouter()`.
 *
 * @example
 * <ErrandProvider url="/api/trpc" headers={{ authorization: `Bearer ${token}` }}>
 *   <TaskDashboard />
 * </ErrandProvider>
 */
export function ErrandProvider({ url = "/api/trpc", headers, client, queryClient, children }: ErrandProviderProps) {
  const [ownQueryClient] = useState(() => queryClient ?? makeQueryClient());
  const [trpcClient] = useState(
    () =>
      client ??
      createTRPCClient<TaskRouter>({
        links: [
          httpBatchLink({
            url,
            headers: typeof headers === "function" ? headers : () => headers ?? {},
            // Within a server's `maxBatchSize` of 10 (the web app's): more calls go in more batches.
            maxItems: 10,
          }),
        ],
      }),
  );
  const activeQueryClient = queryClient ?? ownQueryClient;
  return (
    <QueryClientProvider client={activeQueryClient}>
      <context.TRPCProvider trpcClient={trpcClient} queryClient={activeQueryClient}>
        {children}
      </context.TRPCProvider>
    </QueryClientProvider>
  );
}
