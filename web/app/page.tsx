import { Suspense } from "react";
import { DashboardView } from "./dashboard-view";
import { SchedulesPanel } from "./schedules-panel";

// The schedules panel reads the next runs and the last task at request time.
export const dynamic = "force-dynamic";

export default function DashboardPage() {
  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Tasks</h1>
          <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">
            Every queue, live. Select a task for its arguments, attempts and errors.
          </p>
        </div>
        <span className="inline-flex items-center gap-2 rounded-full bg-emerald-50 px-2.5 py-1 text-xs font-medium text-emerald-700 ring-1 ring-inset ring-emerald-600/20 dark:bg-emerald-400/10 dark:text-emerald-300 dark:ring-emerald-400/25">
          <span aria-hidden="true" className="size-1.5 animate-pulse rounded-full bg-emerald-500" />
          Live
        </span>
      </div>
      <Suspense>
        <DashboardView />
      </Suspense>
      <SchedulesPanel />
    </div>
  );
}
