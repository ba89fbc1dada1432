import type { Metadata } from "next";
import { MAX_PRIORITY, MIN_PRIORITY } from "@errand/core";
import { DemoPanel } from "./demo-panel";
import { SchedulesPanel } from "../schedules-panel";

export const metadata: Metadata = { title: "Demo" };
// The schedules panel reads the next runs and the last task at request time.
export const dynamic = "force-dynamic";

export default function DemoPage() {
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Demo</h1>
        <p className="mt-1 max-w-2xl text-sm text-zinc-600 dark:text-zinc-400">
          Each button is a server action that enqueues a task with <code className="font-mono">@errand/core</code>; a
          worker runs it, and this page follows the result with <code className="font-mono">useTaskResult(id)</code>.
        </p>
      </div>
      <DemoPanel priority={{ min: MIN_PRIORITY, max: MAX_PRIORITY }} />
      <SchedulesPanel />
    </div>
  );
}
