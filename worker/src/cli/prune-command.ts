import { databaseBackend, setUp } from "./common";
import type { FlagSpec } from "./flags";
import { UsageError } from "./usage-error";
import { FINISHED_STATUSES, type FinishedStatus } from "@errand/core";

/** Flags of `errand prune` (besides the common ones). */
export const PRUNE_FLAGS: readonly FlagSpec[] = [
  {
    flag: "age",
    arg: "DAYS",
    rule: { kind: "number", min: 0 },
    help: "finished more than DAYS ago (required; 0 = every finished task)",
  },
  { flag: "failed-age", arg: "DAYS", rule: { kind: "number", min: 0 }, help: "age for FAILED tasks (default: --age)" },
  {
    flag: "status",
    arg: "S",
    rule: { kind: "string" },
    multiple: true,
    help: "SUCCESSFUL and/or FAILED (comma list; default both)",
  },
  { flag: "queue-name", arg: "Q", rule: { kind: "string" }, help: 'only this queue ("*" = every queue, the default)' },
  { flag: "dry-run", rule: { kind: "boolean" }, help: "count, delete nothing" },
];

const PRUNABLE = FINISHED_STATUSES;
type Prunable = FinishedStatus;

/**
 * `errand prune`: deletes SUCCESSFUL/FAILED tasks finished more than `--age` days ago
 * (`--failed-age` for failed ones, default the same), of the `--backend` alias only (two
 * aliases may share a database). PENDING and RUNNING tasks are never deleted.
 */
export async function pruneCommand(flags: {
  config?: string | undefined;
  backend: string;
  age: number;
  failedAge?: number | undefined;
  status?: string[] | undefined;
  queueName?: string | undefined;
  dryRun: boolean;
}): Promise<number> {
  const statuses = parseStatuses(flags.status);
  await setUp({ config: flags.config });
  const backend = databaseBackend(flags.backend);
  const queueName = flags.queueName === undefined || flags.queueName === "*" ? undefined : flags.queueName;
  const day = 86_400;
  const groups: { statuses: Prunable[]; age: number }[] = [];
  const failedAge = flags.failedAge ?? flags.age;
  if (failedAge === flags.age) groups.push({ statuses, age: flags.age });
  else {
    if (statuses.includes("SUCCESSFUL")) groups.push({ statuses: ["SUCCESSFUL"], age: flags.age });
    if (statuses.includes("FAILED")) groups.push({ statuses: ["FAILED"], age: failedAge });
  }
  let total = 0;
  for (const group of groups) {
    total += await backend.prune({ age: group.age * day, statuses: group.statuses, queueName, dryRun: flags.dryRun });
  }
  const what = `${statuses.join(" and ")} task(s)${queueName ? ` of queue "${queueName}"` : ""} of backend "${flags.backend}"`;
  process.stdout.write(flags.dryRun ? `Would delete ${total} ${what}.\n` : `Deleted ${total} ${what}.\n`);
  return 0;
}

function parseStatuses(raw: string[] | undefined): Prunable[] {
  if (!raw || raw.length === 0) return [...PRUNABLE];
  const out = new Set<Prunable>();
  for (const value of raw.flatMap((r) => r.split(","))) {
    const upper = value.trim().toUpperCase();
    if (!(PRUNABLE as readonly string[]).includes(upper)) {
      throw new UsageError(
        `--status must be SUCCESSFUL or FAILED (PENDING and RUNNING tasks are never pruned), got "${value}".`,
      );
    }
    out.add(upper as Prunable);
  }
  return [...out];
}
