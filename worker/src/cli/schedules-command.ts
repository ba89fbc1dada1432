import { lastTicks, nextTicks, resolveSchedules } from "../scheduler";
import { databaseBackend, setUp } from "./common";
import type { FlagSpec } from "./flags";

/** Flags of `errand schedules` (besides the common ones). */
export const SCHEDULES_FLAGS: readonly FlagSpec[] = [
  { flag: "json", rule: { kind: "boolean" }, help: "print the schedules as JSON" },
  { flag: "runs", arg: "N", rule: { kind: "integer", min: 1 }, help: "next runs to show (default 3)" },
];

/** The wall-clock time of `date` in `timezone`, e.g. "2026-03-30 09:00 CEST". */
function local(date: Date, timezone: string): string {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: timezone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
    timeZoneName: "short",
  }).formatToParts(date);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  const seconds = get("second") === "00" ? "" : `:${get("second")}`;
  return `${get("year")}-${get("month")}-${get("day")} ${get("hour")}:${get("minute")}${seconds} ${get("timeZoneName")}`;
}

/**
 * `errand schedules`: each schedule of `errand.config.ts` with its cron, time zone, task,
 * last enqueued tick and next runs. A bad schedule is an error naming it.
 */
export async function schedulesCommand(flags: {
  config?: string | undefined;
  backend: string;
  json: boolean;
  runs: number;
}): Promise<number> {
  const loaded = await setUp({ config: flags.config, requireConfig: true });
  const schedules = resolveSchedules(loaded.config.schedules);
  const last = schedules.length
    ? await lastTicks(
        await databaseBackend(flags.backend).getDb(),
        schedules.map((s) => s.name),
      ).catch(() => new Map<string, Date>())
    : new Map<string, Date>();
  const rows = schedules.map((s) => ({
    name: s.name,
    task: s.task.name,
    cron: s.cron,
    timezone: s.timezone,
    lastTick: last.get(s.name) ?? null,
    nextRuns: nextTicks(s, flags.runs),
  }));
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(rows)}\n`);
    return 0;
  }
  if (rows.length === 0) {
    process.stdout.write("No schedules. Add them to errand.config.ts: schedules: [{ name, task, cron, timezone }].\n");
    return 0;
  }
  const out: string[] = [];
  for (const r of rows) {
    out.push(`${r.name}  ${r.cron}  (${r.timezone})  → ${r.task}`);
    out.push(
      `  last enqueued: ${r.lastTick ? `${local(r.lastTick, r.timezone)} (${r.lastTick.toISOString()})` : "never"}`,
    );
    for (const next of r.nextRuns) out.push(`  next: ${local(next, r.timezone)}  (${next.toISOString()})`);
  }
  process.stdout.write(`${out.join("\n")}\n`);
  return 0;
}
