export default function DashboardPage() {
  return (
    <div>
      <h1 className="text-2xl font-semibold tracking-tight">Tasks</h1>
      <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">The live state of every queue.</p>
    </div>
  );
}
