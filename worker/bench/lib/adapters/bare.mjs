// The floor: a hand-written SQL queue. One table with a partial index; each of c loops claims
// up to 50 due rows with one UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT 50)
// RETURNING, runs them, and completes them all in one statement. Idle loops sleep until a
// NOTIFY (sent by a statement-level trigger on INSERT) or a 1 s poll.
import pg from "pg";
import { quietErrors } from "../util.mjs";

const BATCH = 50;
const POLL_MS = 1000;
const MAX_POOL = 40;

const SCHEMA = `
CREATE TABLE bare_tasks (
  id bigserial PRIMARY KEY,
  queue text NOT NULL DEFAULT 'default',
  payload jsonb NOT NULL DEFAULT '{}',
  status text NOT NULL DEFAULT 'pending',
  run_after timestamptz NOT NULL DEFAULT now(),
  attempts integer NOT NULL DEFAULT 0,
  locked_by text,
  started_at timestamptz,
  finished_at timestamptz
);
CREATE INDEX bare_tasks_pending_idx ON bare_tasks (queue, run_after, id) WHERE status = 'pending';
CREATE FUNCTION bare_tasks_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_notify('bare_tasks', ''); RETURN NULL; END $$;
CREATE TRIGGER bare_tasks_notify AFTER INSERT ON bare_tasks
  FOR EACH STATEMENT EXECUTE FUNCTION bare_tasks_notify();
`;

const CLAIM = `
UPDATE bare_tasks SET status = 'running', locked_by = $1, started_at = now(), attempts = attempts + 1
WHERE id IN (
  SELECT id FROM bare_tasks
  WHERE status = 'pending' AND queue = 'default' AND run_after <= now()
  ORDER BY run_after, id
  LIMIT ${BATCH}
  FOR UPDATE SKIP LOCKED
)
RETURNING id, payload`;

const COMPLETE = `UPDATE bare_tasks SET status = 'done', finished_at = now(), locked_by = NULL WHERE id = ANY($1::bigint[])`;

export function makeAdapter(key, { url, onTask }) {
  let client;
  return {
    key,
    enqueueSameAs: null,
    async setup() {
      client = quietErrors(new pg.Client({ connectionString: url }), "bare enqueue client");
      await client.connect();
      const { rows } = await client.query("SELECT to_regclass('bare_tasks') AS t");
      if (!rows[0].t) await client.query(SCHEMA);
    },
    async enqueueOne(payload = {}) {
      // One autocommitted statement: INSERT … ; COMMIT in a single round trip.
      await client.query("INSERT INTO bare_tasks (payload) VALUES ($1)", [payload]);
    },
    async enqueueBulk(n) {
      // One multi-row INSERT carrying every row from the client.
      const payloads = Array.from({ length: n }, () => "{}");
      await client.query("INSERT INTO bare_tasks (payload) SELECT * FROM unnest($1::jsonb[])", [payloads]);
    },
    async startWorker({ concurrency, workerId = `bare-${process.pid}` }) {
      // c loops share at most 40 connections, so two processes at c=50 fit in the
      // server's default max_connections (100).
      const pool = quietErrors(
        new pg.Pool({ connectionString: url, max: Math.min(concurrency, MAX_POOL) }),
        "bare pool",
      );
      const listener = quietErrors(new pg.Client({ connectionString: url }), "bare listener");
      await listener.connect();
      let stopping = false;
      let wakers = new Set();
      const wakeAll = () => {
        const current = wakers;
        wakers = new Set();
        for (const wake of current) wake();
      };
      listener.on("notification", wakeAll);
      await listener.query("LISTEN bare_tasks");

      const idle = () =>
        new Promise((resolve) => {
          const timer = setTimeout(done, POLL_MS);
          function done() {
            clearTimeout(timer);
            wakers.delete(done);
            resolve();
          }
          wakers.add(done);
        });

      const loop = async (n) => {
        while (!stopping) {
          try {
            const { rows } = await pool.query(CLAIM, [`${workerId}:${n}`]);
            if (rows.length === 0) {
              await idle();
              continue;
            }
            for (const row of rows) await onTask?.(row.payload);
            await pool.query(COMPLETE, [rows.map((r) => r.id)]);
          } catch (err) {
            process.stderr.write(`[bench] bare loop ${n}: ${err.message}\n`);
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
      };
      const loops = Array.from({ length: concurrency }, (_, n) => loop(n));
      return async () => {
        stopping = true;
        wakeAll();
        await Promise.allSettled(loops);
        await listener.end();
        await pool.end();
      };
    },
    async countDone(c) {
      const { rows } = await c.query("SELECT count(*)::int AS n FROM bare_tasks WHERE status = 'done'");
      return rows[0].n;
    },
    async close() {
      await client?.end();
    },
  };
}
