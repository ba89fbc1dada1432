import { TASK_STATUSES, type RetentionSettings } from "@errand/core";
import type { Database } from "@errand/db";
import type { Kysely } from "kysely";
import { databaseBackend, setUp } from "./common";
import type { FlagSpec } from "./flags";

/** Flags of `errand status` (besides the common ones). */
export const STATUS_FLAGS: readonly FlagSpec[] = [
  { flag: "json", rule: { kind: "boolean" }, help: "print the counts as JSON" },
];

/** What `errand status` says of retention: the settings and the last run's counts. */
interface RetentionStatus {
  settings: RetentionSettings | null;
  lastRun: { ranAt: Date; workerId: string; successful: number; failed: number; batches: number } | null;
}

async function retentionStatus(
  db: Kysely<Database>,
  settings: RetentionSettings | undefined,
): Promise<RetentionStatus> {
  const row = await db.selectFrom("errand_maintenance").selectAll().where("name", "=", "retention").executeTakeFirst();
  const details = (row?.details ?? {}) as { successful?: number; failed?: number; batches?: number };
  return {
    settings: settings ?? null,
    lastRun: row
      ? {
          ranAt: row.ran_at,
          workerId: row.worker_id,
          successful: details.successful ?? 0,
          failed: details.failed ?? 0,
          batches: details.batches ?? 0,
        }
      : null,
  };
}

function describeRetention({ settings, lastRun }: RetentionStatus): string {
  const kept = (days: number | undefined) => (days === undefined ? "kept" : `${days} d`);
  const head = settings
    ? `Retention: SUCCESSFUL ${kept(settings.successfulDays)}, FAILED ${kept(settings.failedDays)}`
    : "Retention: none configured (finished tasks are kept; see retention in errand.config.ts)";
  if (!lastRun) return `${head}; no pruning run yet`;
  return `${head}; last run ${lastRun.ranAt.toISOString()} by ${lastRun.workerId}: deleted ${lastRun.successful} SUCCESSFUL, ${lastRun.failed} FAILED in ${lastRun.batches} batch${lastRun.batches === 1 ? "" : "es"}`;
}

/** `errand status`: task counts by queue and status, the oldest due task, and retention. */
export async function statusCommand(flags: {
  config?: string | undefined;
  backend: string;
  json: boolean;
}): Promise<number> {
  const loaded = await setUp({ config: flags.config });
  const backend = databaseBackend(flags.backend);
  const stats = await backend.stats();
  const retention = await retentionStatus(await backend.getDb(), loaded.config.retention);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ ...stats, retention })}\n`);
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
  out.push(describeRetention(retention));
  process.stdout.write(`${out.join("\n")}\n`);
  return 0;
}
