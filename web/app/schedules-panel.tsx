import Link from "next/link";
import { scheduleViews } from "@/lib/schedules";

function local(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat("en-GB", {
    timeZone,
    dateStyle: "medium",
    timeStyle: "short",
  }).format(new Date(iso));
}

/** The cron schedules of errand.config.ts: their next runs (in their time zone) and last task. */
export async function SchedulesPanel() {
  const schedules = await scheduleViews();
  if (schedules.length === 0) return null;
  return (
    <section
      aria-labelledby="schedules-title"
      className="rounded-xl border border-zinc-200 bg-white p-4 shadow-sm dark:border-zinc-800 dark:bg-zinc-900"
    >
      <h2 id="schedules-title" className="text-base font-semibold">
        Schedules
      </h2>
      <ul className="mt-3 space-y-3">
        {schedules.map((s) => (
          <li key={s.name} data-testid="schedule" data-schedule={s.name} className="text-sm">
            <div className="flex flex-wrap items-baseline gap-x-3">
              <span className="font-medium">{s.name}</span>
              <code className="font-mono text-xs text-zinc-600 dark:text-zinc-400">{s.cron}</code>
              <span className="text-xs text-zinc-500 dark:text-zinc-400">
                {s.timezone} → <span className="font-mono">{s.taskName}</span>
              </span>
            </div>
            <p className="mt-1 text-zinc-600 dark:text-zinc-300">
              Next: {s.nextRuns.map((run) => local(run, s.timezone)).join(" · ")}
            </p>
            <p className="text-zinc-500 dark:text-zinc-400">
              Last task:{" "}
              {s.lastTask ? (
                <Link href={`/?task=${s.lastTask.id}`} className="text-indigo-600 hover:underline dark:text-indigo-400">
                  {s.lastTask.status.toLowerCase()}, enqueued {local(s.lastTask.enqueuedAt, s.timezone)}
                </Link>
              ) : (
                "none yet"
              )}
            </p>
          </li>
        ))}
      </ul>
    </section>
  );
}
