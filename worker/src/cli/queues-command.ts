import type { QueueInfo } from "@errand/core";
import { databaseBackend, setUp } from "./common";
import type { FlagSpec } from "./flags";
import { UsageError } from "./usage-error";

/** Flags of `errand queues` (besides the common ones). */
export const QUEUES_FLAGS: readonly FlagSpec[] = [
  { flag: "json", rule: { kind: "boolean" }, help: "print the queues as JSON" },
];

/**
 * `errand queues`: every queue with its pause state, counts, limits and oldest due task;
 * `errand queues pause NAME` / `errand queues resume NAME`: pause or resume one (persisted;
 * every worker hears it within a second).
 */
export async function queuesCommand(flags: {
  config?: string | undefined;
  backend: string;
  json: boolean;
  args: readonly string[];
}): Promise<number> {
  const [action, name, ...extra] = flags.args;
  if (action !== undefined && action !== "pause" && action !== "resume") {
    throw new UsageError(`errand queues takes "pause NAME" or "resume NAME" (or nothing, to list), got "${action}".`);
  }
  if (action !== undefined && (name === undefined || extra.length > 0)) {
    throw new UsageError(`errand queues ${action} takes one queue name, e.g. errand queues ${action} email.`);
  }
  await setUp({ config: flags.config });
  const backend = databaseBackend(flags.backend);
  if (action === "pause") {
    await backend.pauseQueue(name!);
    process.stdout.write(`Paused queue "${name}": no worker starts its tasks until resumed; enqueues are kept.\n`);
    return 0;
  }
  if (action === "resume") {
    await backend.resumeQueue(name!);
    process.stdout.write(`Resumed queue "${name}".\n`);
    return 0;
  }
  const queues = await backend.queues();
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(queues)}\n`);
    return 0;
  }
  process.stdout.write(`${table(queues)}\n`);
  return 0;
}

function table(queues: QueueInfo[]): string {
  if (queues.length === 0) return "No queues yet (no task was enqueued, nothing is paused or configured).";
  const header = ["queue", "state", "PENDING", "RUNNING", "FAILED", "limit", "rate", "oldest due"];
  const rows = queues.map((q) => [
    q.name,
    q.paused ? "paused" : "active",
    String(q.pending),
    q.concurrency === null ? String(q.running) : `${q.running}/${q.concurrency}`,
    String(q.failed),
    q.concurrency === null ? "-" : String(q.concurrency),
    q.rateLimit === null ? "-" : `${q.rateLimit.limit}/${q.rateLimit.periodSeconds}s`,
    q.oldestDueAt === null ? "-" : q.oldestDueAt.toISOString(),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 || i === 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(header), ...rows.map(line)].join("\n");
}
