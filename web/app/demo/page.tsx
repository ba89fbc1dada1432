import type { Metadata } from "next";

export const metadata: Metadata = { title: "Demo" };

export default function DemoPage() {
  return (
    <div>
      <h1 className="text-2xl font-semibold tracking-tight">Demo</h1>
      <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">Enqueue tasks from server actions and follow them live.</p>
    </div>
  );
}
