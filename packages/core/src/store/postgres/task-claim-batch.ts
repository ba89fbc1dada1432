import { sql } from "kysely";
import { TASK_COLUMNS, type TaskRow } from "@errand/db";
import type { Executor } from "./executor";
import { NOT_PAUSED } from "./not-paused";
import type { TaskClaimBatchParams } from "../task-store";
import { limitedQueueNames } from "../claim-flow";
import { claimOrderBy, compareClaimOrder } from "../claim-order";
import { limitedWaiting, taskClaimLimited, type LimitRow } from "./task-claim-limited";
import { claimFilters } from "./claim-filters";

/**
 * Columns whose value a claim already knows, or can tell from the row's other columns on a
 * task's first attempt: sent as NULL then (cheap to parse) and filled in by `fill()`.
 * Parsing the claimed rows was the worker's largest cost: ≈10 µs a row for 28 columns, most
 * of it the timestamps and the `worker_ids` array.
 */
const KNOWN = {
  status: "NULL::text",
  started_at: "CASE WHEN t.attempts > 1 THEN t.started_at END",
  last_attempted_at: "NULL::timestamptz",
  finished_at: "NULL::timestamptz",
  locked_by: "NULL::text",
  locked_until: "NULL::timestamptz",
  worker_ids: "CASE WHEN t.attempts > 1 THEN t.worker_ids END",
  errors: "CASE WHEN t.errors <> '[]'::jsonb THEN t.errors END",
  return_value: "NULL::jsonb",
  cancel_requested_at: "NULL::timestamptz",
  scheduled_at: "CASE WHEN t.scheduled_at <> t.run_after THEN t.scheduled_at END",
  enqueued_at: "CASE WHEN t.enqueued_at <> t.run_after THEN t.enqueued_at END",
} satisfies Partial<Record<(typeof TASK_COLUMNS)[number], string>>;
type KnownColumn = keyof typeof KNOWN;

const RETURNING = sql.raw(
  [
    ...TASK_COLUMNS.map((c) => `${(KNOWN as Record<string, string>)[c] ?? `t.${c}`} AS ${c}`),
    "now() AS claimed_at",
  ].join(", "),
);

/**
 * Claims up to `limit` due PENDING tasks, in the claim order (`claim-order.ts`: highest
 * priority first, then earliest `run_after`, then enqueue order), and marks them RUNNING under a lease in the same
 * statement: attempt counted, worker id appended, first start and last attempt stamped.
 *
 * Safe with many workers: the inner SELECT takes row locks with `FOR UPDATE SKIP LOCKED`,
 * so concurrent claimers skip each other's rows instead of waiting or double-claiming,
 * and the UPDATE re-checks nothing because it only touches rows it has locked. One
 * statement per batch (not per task) is what lets one worker drain thousands a second.
 *
 * The claim commits asynchronously (`synchronous_commit = off` for this statement's
 * transaction only): it returns without waiting for the WAL flush. A database crash can
 * then undo a claim made in its last fraction of a second; that task is PENDING again and
 * runs again (delivery is at-least-once anyway), and the late completion of the first run
 * is refused because the row is no longer held. Nothing is lost, and results stay durable:
 * completions commit synchronously, which also flushes every claim before them. Measured
 * here (2 cores, Postgres 15): a claim-and-complete loop of 10 went from ≈900 to
 * ≈1,900–3,500 tasks/s; a single UPDATE from 0.8 ms to 0.2–0.3 ms.
 *
 * @returns the claimed rows in claim order.
 */
export async function taskClaimBatch(db: Executor, params: TaskClaimBatchParams): Promise<TaskRow[]> {
  const rows = (await taskClaimRows(db, params)) as (TaskRow & Pick<ClaimedRow, "claimed_at" | "limited_due">)[];
  return rows.map(({ claimed_at: _at, limited_due: _due, ...row }) => row);
}

/**
 * `taskClaimBatch` for the store, which maps each row to a record at once: the rows as
 * received, filled in place (no copy of a 36-column row per task: copying them was a sixth
 * of what a drain allocated), still carrying the claim's `claimed_at`.
 */
export async function taskClaimRows(db: Executor, params: TaskClaimBatchParams): Promise<TaskRow[]> {
  const rows = await claim(db, params);
  for (const row of rows) fill(row, params);
  return rows as TaskRow[];
}

async function claim(db: Executor, params: TaskClaimBatchParams): Promise<ClaimedRow[]> {
  if (params.limit <= 0) return [];
  if (params.ignoreFlow) return sorted(await claimFree(db, params, { flow: sql``, probe: null }));
  // Flow control, in two parts (see flowCondition and taskClaimLimited): the fast path takes
  // what no limit applies to; the limited claim then takes limited and keyed tasks, only
  // for the worker's free slots and only in the room the fast path left.
  const limits = limitRows(params);
  const names = limits.map((l) => l.name);
  const free = await claimFree(db, params, { flow: flowCondition(names), probe: limitedDue(names) });
  const room = Math.min(params.flow?.freeSlots ?? params.limit, params.limit - free.length);
  if (room <= 0) return sorted(free);
  // The fast path's rows say whether any limited or keyed task was due when it ran: if none
  // was, the limited claim (a transaction of four round trips) would find nothing. Measured:
  // it added 3–5 ms to every start of an idle worker. With no row to say, it runs.
  if (free.length > 0 && !free[0]!.limited_due) return sorted(free);
  const limited = await taskClaimLimited<ClaimedRow>(db, { ...params, room, limits, returning: RETURNING });
  return sorted([...free, ...limited]);
}

/**
 * The fast path's flow condition, one fragment: not a paused queue (`NOT_PAUSED`: read once
 * per statement from the small `errand_queues` table), not a queue with a limit, not a task
 * with a concurrency key. With no limits configured and no keyed
 * task it costs one probe of an empty table (measured in worker/bench/README.md).
 */
function flowCondition(limitedNames: readonly string[]) {
  return sql`AND concurrency_key IS NULL
      AND ${NOT_PAUSED}
      ${limitedNames.length > 0 ? sql`AND NOT (queue_name = ANY(${sql.val([...limitedNames])}::text[]))` : sql``}`;
}

/** The worker's limited queues, as the limited claim reads them. */
function limitRows(params: TaskClaimBatchParams): LimitRow[] {
  return limitedQueueNames(params.flow).map((name) => {
    const s = params.flow!.queues[name]!;
    return {
      name,
      concurrency: s.concurrency ?? null,
      rate_limit: s.rateLimit?.limit ?? null,
      period_seconds: s.rateLimit?.periodSeconds ?? null,
    };
  });
}

/**
 * Whether a due task waits for the limited claim (a keyed task, or one of a limited queue's):
 * one probe per statement (an InitPlan over the keyed and per-queue PENDING indexes), sent back
 * on every row of the fast path's claim.
 */
function limitedDue(limitedNames: readonly string[]) {
  return sql`(SELECT EXISTS (SELECT 1 FROM errand_tasks WHERE ${limitedWaiting(limitedNames)}))`;
}

async function claimFree(
  db: Executor,
  params: TaskClaimBatchParams,
  { flow, probe }: { flow: ReturnType<typeof sql>; probe: ReturnType<typeof sql> | null },
): Promise<ClaimedRow[]> {
  const { rows } = await sql<ClaimedRow>`
    WITH async_commit AS (SELECT set_config('synchronous_commit', 'off', true))
    UPDATE errand_tasks AS t SET
      status = 'RUNNING',
      attempts = t.attempts + 1,
      worker_ids = array_append(t.worker_ids, ${params.workerId}::text),
      started_at = coalesce(t.started_at, now()),
      last_attempted_at = now(),
      locked_by = ${params.workerId}::text,
      locked_until = now() + make_interval(secs => ${params.leaseSeconds}::double precision)
    FROM async_commit
    -- The ids as an array (an InitPlan), not a join: joined, the planner may hash the whole
    -- table to match a few hundred ids; as an array it looks each up by primary key.
    WHERE t.id = ANY(ARRAY(
      SELECT id FROM errand_tasks
      WHERE status = 'PENDING' AND run_after <= now() ${claimFilters(params)}
        ${flow}
        AND waiting_on = 0 -- released by the last dependency to succeed (migration 0007)
      ORDER BY ${claimOrderBy()}
      LIMIT ${params.limit}
      FOR UPDATE SKIP LOCKED
    ))
    RETURNING ${RETURNING}${probe ? sql`, ${probe} AS limited_due` : sql``}`.execute(db);
  return rows;
}

/** The rows of the fast path and of the limited claim, together, in the claim order. */
function sorted(rows: ClaimedRow[]): ClaimedRow[] {
  return rows.sort((a, b) =>
    compareClaimOrder(
      { priority: a.priority, runAfter: a.run_after, seq: a.seq },
      { priority: b.priority, runAfter: b.run_after, seq: b.seq },
    ),
  );
}

/** A claimed row as sent: the `KNOWN` columns may be NULL, and `now()` of the claim. */
type ClaimedRow = {
  [K in keyof TaskRow]: K extends KnownColumn ? TaskRow[K] | null : TaskRow[K];
} & { claimed_at: Date; limited_due?: boolean };

/** The row as stored, from what the claim set (see the UPDATE) and the row's other columns. */
function fill(row: ClaimedRow, params: TaskClaimBatchParams): void {
  const at = row.claimed_at;
  row.status = "RUNNING";
  row.started_at ??= at;
  row.last_attempted_at = at;
  row.finished_at = null;
  row.locked_by = params.workerId;
  row.locked_until = new Date(at.getTime() + params.leaseSeconds * 1000);
  row.worker_ids ??= [params.workerId];
  row.errors ??= [];
  row.return_value = null;
  row.cancel_requested_at = null;
  row.scheduled_at ??= row.run_after;
  row.enqueued_at ??= row.run_after;
}
