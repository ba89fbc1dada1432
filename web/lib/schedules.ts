import { Cron } from "croner";
import config from "../errand.config";
import { getBackend } from "@errand/core";

/** A schedule of errand.config.ts as the pages show it. */
export interface ScheduleView {
  name: string;
  taskName: string;
  cron: string;
  timezone: string;
  /** ISO instants. */
  nextRuns: string[];
  /** The newest task of the schedule's task, if any. */
  lastTask: { id: string; status: string; enqueuedAt: string } | null;
}

/** The config's schedules with their next three runs and the newest task they enqueued. */
export async function scheduleViews(): Promise<ScheduleView[]> {
  const backend = getBackend("default");
  return Promise.all(
    (config.schedules ?? []).map(async (s) => {
      const timezone = s.timezone ?? "UTC";
      const nextRuns = new Cron(s.cron, { timezone, paused: true }).nextRuns(3).map((d) => d.toISOString());
      const newest = (await backend.list({ taskName: s.task.name, limit: 1 }).catch(() => ({ items: [] }))).items[0];
      return {
        name: s.name,
        taskName: s.task.name,
        cron: s.cron,
        timezone,
        nextRuns,
        lastTask: newest ? { id: newest.id, status: newest.status, enqueuedAt: newest.enqueuedAt.toISOString() } : null,
      };
    }),
  );
}
