"use client";

import { useEffect, useState, type ReactNode } from "react";
import { ErrandProvider } from "@errand/react";

/**
 * Connects every page to the task router at /api/trpc. The pages stay fresh through the
 * push stream, polling while it is down; `?poll=off` in the address turns polling off, to
 * watch the push stream alone.
 */
export function Providers({ children }: { children: ReactNode }) {
  const [pollInterval, setPollInterval] = useState<false | undefined>(undefined);
  // Read after hydration: the server renders the default.
  useEffect(() => {
    if (new URLSearchParams(window.location.search).get("poll") === "off") setPollInterval(false);
  }, []);
  return (
    <ErrandProvider url="/api/trpc" pollInterval={pollInterval}>
      {children}
    </ErrandProvider>
  );
}
