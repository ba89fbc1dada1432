import type { Kysely, Transaction } from "kysely";
import type { Database, NewTaskRow, TaskErrorRow, TaskRow } from "@errand/db";
import { insertTasks } from "./insert-tasks";

/** The kinds of row `insertTaskInEveryState` makes, one each. */
export const TASK_STATE_FIXTURES = [
  "pendingDue",
  "pendingLater",
  "pendingRetrying",
  "runningLeased",
  "runningExpired",
  "successful",
  "failed",
  "cancelled",
] as const;

export type TaskStateFixture = (typeof TASK_STATE_FIXTURES)[number];

function error(attempt: number, exceptionClass: string, failedAt: Date): string {
  const row: TaskErrorRow = {
    exceptionClass,
    message: `${exceptionClass} on attempt ${attempt}`,
    traceback: `${exceptionClass}: on attempt ${attempt}\n    at fixture`,
    attempt,
    failedAt: failedAt.toISOString(),
  };
  return JSON.stringify([row]);
}

/**
 * Test factory: one task in every state a row can be in — due, later and retrying PENDING
 * tasks, a RUNNING task with a live lease and one whose lease lapsed, a SUCCESSFUL one, one
 * FAILED after its last attempt and one cancelled — so a query or a state change can be
 * checked against all of them at once (graphile-worker's `makeSelectionOfJobs`). Every row
 * satisfies the table's CHECK constraints. `overrides` apply to every row (e.g. a queue).
 *
 * @example
 * const rows = await insertTaskInEveryState(db);
 * await queries.taskClaimBatch(db, { ... }); // claims rows.pendingDue and rows.pendingRetrying only
 */
export async function insertTaskInEveryState(
  db: Kysely<Database> | Transaction<Database>,
  overrides: Partial<NewTaskRow> = {},
): Promise<Record<TaskStateFixture, TaskRow>> {
  const now = Date.now();
  const ago = (seconds: number) => new Date(now - seconds * 1000);
  const later = (seconds: number) => new Date(now + seconds * 1000);
  const attempted = (at: Date, workers: string[]) => ({
    attempts: workers.length,
    worker_ids: workers,
    started_at: at,
    last_attempted_at: at,
  });
  const rows: Record<TaskStateFixture, Partial<NewTaskRow>> = {
    pendingDue: { task_name: "fixture.pendingDue", run_after: ago(10) },
    pendingLater: { task_name: "fixture.pendingLater", run_after: later(3600) },
    pendingRetrying: {
      task_name: "fixture.pendingRetrying",
      run_after: ago(5),
      ...attempted(ago(60), ["worker-a"]),
      errors: error(1, "Error", ago(55)),
    },
    runningLeased: {
      task_name: "fixture.runningLeased",
      status: "RUNNING",
      run_after: ago(30),
      ...attempted(ago(20), ["worker-a"]),
      locked_by: "worker-a",
      locked_until: later(60),
    },
    runningExpired: {
      task_name: "fixture.runningExpired",
      status: "RUNNING",
      run_after: ago(300),
      ...attempted(ago(240), ["worker-dead"]),
      locked_by: "worker-dead",
      locked_until: ago(60),
    },
    successful: {
      task_name: "fixture.successful",
      status: "SUCCESSFUL",
      run_after: ago(120),
      ...attempted(ago(100), ["worker-a"]),
      finished_at: ago(90),
      return_value: JSON.stringify({ ok: true }),
    },
    failed: {
      task_name: "fixture.failed",
      status: "FAILED",
      run_after: ago(120),
      max_attempts: 1,
      ...attempted(ago(100), ["worker-a"]),
      finished_at: ago(95),
      errors: error(1, "Error", ago(95)),
    },
    cancelled: {
      task_name: "fixture.cancelled",
      status: "FAILED",
      run_after: ago(120),
      finished_at: ago(80),
      errors: error(0, "TaskCancelled", ago(80)),
    },
  };
  const inserted = await insertTasks(
    db,
    TASK_STATE_FIXTURES.map((state) => ({ ...rows[state], ...overrides })),
  );
  return Object.fromEntries(TASK_STATE_FIXTURES.map((state, i) => [state, inserted[i]!])) as Record<
    TaskStateFixture,
    TaskRow
  >;
}
