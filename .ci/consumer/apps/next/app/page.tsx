"use client";
import { useEffect, useState } from "react";
import { ErrandProvider, TaskDashboard, TaskStatusBadge, useTaskResult } from "@errand/react";
import type { TaskReturn } from "@errand/core";
import "@errand/react/styles.css";
import type { sendWelcomeEmail } from "@/tasks";
import { signUp } from "./actions";

function LastTask({ id }: { id: string }) {
  const { result } = useTaskResult<TaskReturn<typeof sendWelcomeEmail>>(id, { refetchInterval: 500 });
  if (!result) return <p data-testid="last-task">loading {id}</p>;
  return (
    <p data-testid="last-task" data-task-id={id}>
      <TaskStatusBadge status={result.status} attempts={result.attempts} />{" "}
      <span data-testid="return-value">
        {result.status === "SUCCESSFUL" && result.returnValue ? result.returnValue.email : ""}
      </span>
    </p>
  );
}

export default function Home() {
  const [id, setId] = useState<string | null>(null);
  // Set once React has hydrated the page, so the test clicks a live button.
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
  return (
    <ErrandProvider url="/api/trpc">
      <main data-hydrated={hydrated ? "true" : "false"}>
        <button type="button" onClick={async () => setId(await signUp("ada@example.com"))}>
          Sign up
        </button>
        {id ? <LastTask id={id} /> : null}
        <TaskDashboard />
      </main>
    </ErrandProvider>
  );
}
