"use client";

import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { TaskDashboard } from "@errand/react";

/** The dashboard, with the open task kept in the URL (`/?task=<id>`) so it can be shared. */
export function DashboardView() {
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const selectedId = params.get("task");
  return (
    <TaskDashboard
      selectedId={selectedId}
      onSelectedIdChange={(id) => {
        const next = new URLSearchParams(params);
        if (id) next.set("task", id);
        else next.delete("task");
        const query = next.toString();
        router.replace(query ? `${pathname}?${query}` : pathname, { scroll: false });
      }}
    />
  );
}
