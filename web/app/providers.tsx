"use client";

import type { ReactNode } from "react";
import { ErrandProvider } from "@errand/react";

/** Connects every page to the task router at /api/trpc. */
export function Providers({ children }: { children: ReactNode }) {
  return <ErrandProvider url="/api/trpc">{children}</ErrandProvider>;
}
