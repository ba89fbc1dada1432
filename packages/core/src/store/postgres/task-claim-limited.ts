import { sql, type RawBuilder } from "kysely";
import type { Executor } from "./executor";
import { NOT_PAUSED } from "./not-paused";
import { claimFilters } from "./claim-filters";
import type { TaskClaimBatchParams } from "../task-store";
import { RATE_LIMIT_MARGIN_MS } from "../claim-flow";
import { claimOrderBy } from "../claim-order";

/** The advisory lock every limited claim takes (see `taskClaimLimited`). */
const FLOW_CLAIM_LOCK = sql`hashtext('errand_flow_claim')`;

/** Limited candidates looked at per claim: the first this many due, in claim order. */
const MAX_CANDIDATES = 1000;

/**
 * The limited part of a claim: due PENDING tasks of queues with a `concurrency` or
 * `rateLimit` (given in `limits`) and tasks with a `concurrency_key`, at most `room` of them,
 * claimed only while their limits allow, in claim order; a key's tasks keep their order (the
 * first `concurrency_limit − running` of each key), then each queue takes its first `room`.
 * Rate-limited starts are logged in `errand_queue_starts` (trimmed in the same statement).
 *
 * Why it is safe with many claimers on many hosts: the whole claim is one transaction that
 * first takes one transaction-level advisory lock (`pg_advisory_xact_lock`), then counts and
 * claims in a second statement. In READ COMMITTED each statement takes a new snapshot, so
 * the counting statement sees every claim committed by the previous holder of the lock (a
 * transaction is visible before its locks are released), and no other limited claim runs
 * until this one commits. Counting in the same statement as the lock would not be safe: the
 * statement's snapshot would predate the lock. Nothing else raises a RUNNING count or the
 * starts: completions, failures, releases and lease rescues only lower them (a worker killed
 * with a limited slot frees it when its lease lapses and the rescue re-queues the task), and
 * the unlimited claim leaves these tasks alone. The lock serialises limited claims only —
 * a claim holds it for one statement of a few milliseconds — never the unlimited fast path.
 */
export async function taskClaimLimited<Row>(
  db: Executor,
  params: TaskClaimBatchParams & { room: number; limits: LimitRow[]; returning: RawBuilder<unknown> },
): Promise<Row[]> {
  if (params.room <= 0) return [];
  const run = async (trx: Executor) => {
    await sql`SELECT pg_advisory_xact_lock(${FLOW_CLAIM_LOCK})`.execute(trx);
    const { rows } = await sql<Row>`${claimStatement(params)}`.execute(trx);
    return rows;
  };
  return db.isTransaction ? run(db) : db.transaction().execute(run);
}

/**
 * The tasks only the limited claim takes, due now: keyed ones and those of the limited queues
 * (`limitedNames`), not of a paused queue, not waiting on a dependency (`waiting_on`, released
 * by the last dependency to succeed, migration 0007). No `--` comment inside: the fragment is
 * embedded in other statements, where it would swallow what follows. The fast path asks
 * whether any is due with the same condition (`taskClaimBatch`).
 */
export function limitedWaiting(limitedNames: readonly string[]): RawBuilder<unknown> {
  return sql`status = 'PENDING' AND run_after <= now()
        AND (concurrency_key IS NOT NULL OR queue_name = ANY(${sql.val([...limitedNames])}::text[]))
        AND ${NOT_PAUSED}
        AND waiting_on = 0`;
}

/** One limited queue as the claim reads it (from the worker's `queues` config). */
export interface LimitRow {
  name: string;
  concurrency: number | null;
  rate_limit: number | null;
  period_seconds: number | null;
}

function claimStatement(
  params: TaskClaimBatchParams & { room: number; limits: LimitRow[]; returning: RawBuilder<unknown> },
): RawBuilder<unknown> {
  const margin = RATE_LIMIT_MARGIN_MS / 1000;
  return sql`
    WITH limits AS (
      SELECT * FROM jsonb_to_recordset(${JSON.stringify(params.limits)}::jsonb)
        AS l(name text, concurrency int, rate_limit int, period_seconds int)
    ), candidates AS (
      SELECT id, queue_name, concurrency_key, concurrency_limit, priority, run_after, seq FROM errand_tasks
      WHERE ${limitedWaiting(params.limits.map((l) => l.name))} ${claimFilters(params)}
      ORDER BY ${claimOrderBy()}
      LIMIT ${MAX_CANDIDATES}
    ), key_running AS (
      SELECT concurrency_key, count(*)::int AS n FROM errand_tasks
      WHERE status = 'RUNNING' AND concurrency_key IN (SELECT concurrency_key FROM candidates)
      GROUP BY 1
    ), key_ranked AS (
      SELECT c.*, coalesce(kr.n, 0) AS key_running,
        row_number() OVER (PARTITION BY c.concurrency_key ORDER BY ${claimOrderBy("c")}) AS key_rank
      FROM candidates c LEFT JOIN key_running kr ON kr.concurrency_key = c.concurrency_key
    ), queue_room AS (
      SELECT l.name, greatest(0, least(
        coalesce(l.concurrency - (SELECT count(*) FROM errand_tasks r WHERE r.status = 'RUNNING' AND r.queue_name = l.name), 2147483647),
        coalesce(l.rate_limit - (SELECT coalesce(sum(s.count), 0) FROM errand_queue_starts s
          WHERE s.queue_name = l.name
            AND s.started_at > clock_timestamp() - make_interval(secs => l.period_seconds + ${margin}::double precision)), 2147483647)
      )) AS room
      FROM limits l
    ), queue_ranked AS (
      SELECT k.id, k.queue_name, k.priority, k.run_after, k.seq,
        row_number() OVER (PARTITION BY k.queue_name ORDER BY ${claimOrderBy("k")}) AS queue_rank
      FROM key_ranked k
      WHERE k.concurrency_key IS NULL OR k.key_rank <= k.concurrency_limit - k.key_running
    ), picked AS (
      SELECT q.id FROM queue_ranked q LEFT JOIN queue_room r ON r.name = q.queue_name
      WHERE r.room IS NULL OR q.queue_rank <= r.room
      ORDER BY ${claimOrderBy("q")}
      LIMIT ${params.room}
    ), claimed AS (
      UPDATE errand_tasks AS t SET
        status = 'RUNNING',
        attempts = t.attempts + 1,
        worker_ids = array_append(t.worker_ids, ${params.workerId}::text),
        started_at = coalesce(t.started_at, now()),
        last_attempted_at = now(),
        locked_by = ${params.workerId}::text,
        locked_until = now() + make_interval(secs => ${params.leaseSeconds}::double precision)
      -- An array, not a join: the primary key finds each row (see taskClaimBatch).
      WHERE t.id = ANY(ARRAY(SELECT id FROM picked)) AND t.status = 'PENDING'
      RETURNING ${params.returning}
    ), started AS (
      INSERT INTO errand_queue_starts (queue_name, started_at, count)
      SELECT c.queue_name, clock_timestamp(), count(*) FROM claimed c
      JOIN limits l ON l.name = c.queue_name AND l.rate_limit IS NOT NULL
      GROUP BY 1
    ), trimmed AS (
      DELETE FROM errand_queue_starts s USING limits l
      WHERE s.queue_name = l.name AND l.rate_limit IS NOT NULL
        AND s.started_at < clock_timestamp() - make_interval(secs => l.period_seconds + 1)
    )
    SELECT * FROM claimed`;
}
