"use client";

import { createTRPCContext } from "@trpc/tanstack-react-query";
import type { TaskRouter } from "@errand/trpc";

const context = createTRPCContext<TaskRouter>();

/** The tRPC options proxy of the task router, for your own queries and mutations. */
export const useErrandTRPC = context.useTRPC;
/** The raw tRPC client of the task router. */
export const useErrandClient = context.useTRPCClient;
/** Provides the client and query client to the hooks (used by `ErrandProvider`). */
export const ErrandTRPCProvider = context.TRPCProvider;
