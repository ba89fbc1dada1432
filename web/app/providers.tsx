"use client";

import type { ReactNode } from "react";

/** Client-side context for every page (the tRPC client and query cache arrive here). */
export function Providers({ children }: { children: ReactNode }) {
  return <>{children}</>;
}
