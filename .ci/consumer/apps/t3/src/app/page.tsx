"use client";
import { useEffect, useState } from "react";
import superjson from "superjson";
import { ErrandProvider, TaskDashboard, TaskStatusBadge, useErrandClient, useTaskResult } from "@errand/react";
import "@errand/react/styles.css";

function Resize({ onEnqueued }: { onEnqueued: (id: string) => void }) {
  const client = useErrandClient();
  return (
    <button
      type="button"
      onClick={async () => {
        // Through the app's router: /api/trpc, path `tasks`, superjson, the session cookie.
        const record = await client.enqueue.mutate({ task: "media.resize", args: ["/cat.png", 320] });
        onEnqueued(record.id);
      }}
    >
      Resize
    </button>
  );
}

function LastTask({ id }: { id: string }) {
  const { result } = useTaskResult(id);
  if (!result) return <p data-testid="last-task">loading {id}</p>;
  return (
    <p data-testid="last-task" data-task-id={id}>
      <TaskStatusBadge status={result.status} attempts={result.attempts} />{" "}
      <span data-testid="creator">{result.creator?.id ?? ""}</span>
    </p>
  );
}

export default function Home() {
  const [id, setId] = useState<string | null>(null);
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
  return (
    <ErrandProvider url="/api/trpc" path="tasks" transformer={superjson}>
      <main data-hydrated={hydrated ? "true" : "false"}>
        <Resize onEnqueued={setId} />
        {id ? <LastTask id={id} /> : null}
        <TaskDashboard />
      </main>
    </ErrandProvider>
  );
}
