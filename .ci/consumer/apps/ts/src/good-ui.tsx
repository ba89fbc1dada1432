import type { TaskReturn } from "@errand/core";
import { ErrandProvider, TaskDashboard, TaskStatusBadge, useTaskResult } from "@errand/react";
import type { add } from "./tasks.js";

function Sum({ id }: { id: string }) {
  const { result } = useTaskResult<TaskReturn<typeof add>>(id);
  if (!result) return null;
  const sum: number | undefined = result.returnValue?.sum;
  return (
    <p>
      <TaskStatusBadge status={result.status} attempts={result.attempts} /> {sum}
    </p>
  );
}

export function TasksPage({ id }: { id: string }) {
  return (
    <ErrandProvider url="/api/trpc">
      <Sum id={id} />
      <TaskDashboard />
    </ErrandProvider>
  );
}
