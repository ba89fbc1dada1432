import { TASK_STATUSES } from "@errand/core";
import { databaseBackend, setUp } from "./common";
import type { FlagSpec } from "./flags";

/** Flags of `errand status` (besides the common ones). */
export const STATUS_FLAGS: readonly FlagSpec[] = [
  { flag: "json", rule: { type: "boolean" }, help: "print the counts as JSON" },
];

/** `errand status`: task counts by queue and status, and the oldest due task. */
export async function statusCommand(flags: {
  config?: string | undefined;
  backend: string;
  json: boolean;
}): Promise<number> {
  await setUp({ config: flags.config });
  const backend = databaseBackend(flags.backend);
  const stats = await backend.stats();
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(stats)}\n`);
    return 0;
  }
  const byQueue = new Map<string, Record<string, number>>();
  for (const row of stats.byQueue) {
    const counts = byQueue.get(row.queueName) ?? {};
    counts[row.status] = (counts[row.status] ?? 0) + row.count;
    byQueue.set(row.queueName, counts);
  }
  const header = ["queue", ...TASK_STATUSES];
  const rows = [...byQueue.entries()].map(([queue, counts]) => [
    queue,
    ...TASK_STATUSES.map((s) => String(counts[s] ?? 0)),
  ]);
  rows.push(["(all)", ...TASK_STATUSES.map((s) => String(stats.byStatus[s] ?? 0))]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  const out = [line(header), ...rows.map(line)];
  if (stats.oldestDueAt) {
    const waiting = Math.max(0, Math.round((Date.now() - stats.oldestDueAt.getTime()) / 1000));
    out.push(`Oldest due task: due since ${stats.oldestDueAt.toISOString()} (${waiting} s ago)`);
  } else {
    out.push("Oldest due task: none (nothing is waiting)");
  }
  process.stdout.write(`${out.join("\n")}\n`);
  return 0;
}
