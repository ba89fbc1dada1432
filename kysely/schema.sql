CREATE FUNCTION public.errand_task_changes_delete() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM errand_feed_listeners WHERE seen_at > now() - interval '30 seconds') THEN RETURN NULL; END IF;
        IF EXISTS (SELECT 1 FROM old_rows) THEN PERFORM pg_notify('errand_task_changes', '{"resync":"deleted"}'); END IF;
        RETURN NULL;
      END
      $$;

CREATE FUNCTION public.errand_task_changes_insert() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
      
      DECLARE
        n integer;
        payload text;
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM errand_feed_listeners WHERE seen_at > now() - interval '30 seconds') THEN RETURN NULL; END IF;
        SELECT count(*), json_build_object('c', json_agg(json_build_array(id, status, previous, queue_name, task_name)))::text
          INTO n, payload FROM (SELECT id, status, NULL::text AS previous, queue_name, task_name FROM new_rows LIMIT 21) c;
        IF n > 20 THEN PERFORM nextval('errand_task_changes_seq');
        ELSIF n > 0 THEN PERFORM pg_notify('errand_task_changes', payload);
        END IF;
        RETURN NULL;
      END
      $$;

CREATE FUNCTION public.errand_task_changes_truncate() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM errand_feed_listeners WHERE seen_at > now() - interval '30 seconds') THEN RETURN NULL; END IF;
        PERFORM pg_notify('errand_task_changes', '{"resync":"deleted"}');
        RETURN NULL;
      END
      $$;

CREATE FUNCTION public.errand_task_changes_update() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
      
      DECLARE
        n integer;
        payload text;
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM errand_feed_listeners WHERE seen_at > now() - interval '30 seconds') THEN RETURN NULL; END IF;
        SELECT count(*), json_build_object('c', json_agg(json_build_array(id, status, previous, queue_name, task_name)))::text
          INTO n, payload FROM (SELECT n.id, n.status, o.status AS previous, n.queue_name, n.task_name
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE n.status IS DISTINCT FROM o.status
          OR n.progress_done IS DISTINCT FROM o.progress_done
          OR n.progress_total IS DISTINCT FROM o.progress_total
          OR n.cancel_requested_at IS DISTINCT FROM o.cancel_requested_at LIMIT 21) c;
        IF n > 20 THEN PERFORM nextval('errand_task_changes_seq');
        ELSIF n > 0 THEN PERFORM pg_notify('errand_task_changes', payload);
        END IF;
        RETURN NULL;
      END
      $$;

CREATE FUNCTION public.errand_task_counts_compact() RETURNS void
    LANGUAGE plpgsql
    AS $$
      BEGIN
        IF NOT pg_try_advisory_xact_lock(hashtext('errand_task_counts_compact')) THEN RETURN; END IF;
        WITH gone AS (DELETE FROM errand_task_counts RETURNING queue_name, status, count)
        INSERT INTO errand_task_counts (queue_name, status, count)
        SELECT queue_name, status, sum(count) FROM gone GROUP BY 1, 2 HAVING sum(count) <> 0;
        WITH gone AS (DELETE FROM errand_task_throughput RETURNING minute, successful, failed)
        INSERT INTO errand_task_throughput (minute, successful, failed)
        SELECT minute, sum(successful), sum(failed) FROM gone
        WHERE minute > now() - interval '2 hours'
        GROUP BY 1 HAVING sum(successful) <> 0 OR sum(failed) <> 0;
      END
      $$;

CREATE FUNCTION public.errand_task_counts_delete() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
      
      BEGIN
        WITH delta AS (SELECT queue_name, status,
          CASE WHEN finished_at > now() - interval '2 hours' THEN date_trunc('minute', finished_at) END AS minute,
          -count(*) AS n
        FROM old_rows GROUP BY 1, 2, 3), counted AS (
          INSERT INTO errand_task_counts (queue_name, status, count)
          SELECT queue_name, status, sum(n) FROM delta GROUP BY 1, 2 HAVING sum(n) <> 0
        )
        INSERT INTO errand_task_throughput (minute, successful, failed)
        SELECT minute, coalesce(sum(n) FILTER (WHERE status = 'SUCCESSFUL'), 0),
          coalesce(sum(n) FILTER (WHERE status = 'FAILED'), 0)
        FROM delta WHERE minute IS NOT NULL AND status IN ('SUCCESSFUL', 'FAILED')
        GROUP BY 1 HAVING sum(n) <> 0;
        -- About one statement in 500 folds the rows, so they stay a few thousand even when
        -- no dashboard reads them (a drain appends ≈300 a second).
        IF random() < 0.002 THEN PERFORM errand_task_counts_compact(); END IF;
        RETURN NULL;
      END
      $$;

CREATE FUNCTION public.errand_task_counts_insert() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
      
      BEGIN
        WITH delta AS (SELECT queue_name, status,
          CASE WHEN finished_at > now() - interval '2 hours' THEN date_trunc('minute', finished_at) END AS minute,
          count(*) AS n
        FROM new_rows GROUP BY 1, 2, 3), counted AS (
          INSERT INTO errand_task_counts (queue_name, status, count)
          SELECT queue_name, status, sum(n) FROM delta GROUP BY 1, 2 HAVING sum(n) <> 0
        )
        INSERT INTO errand_task_throughput (minute, successful, failed)
        SELECT minute, coalesce(sum(n) FILTER (WHERE status = 'SUCCESSFUL'), 0),
          coalesce(sum(n) FILTER (WHERE status = 'FAILED'), 0)
        FROM delta WHERE minute IS NOT NULL AND status IN ('SUCCESSFUL', 'FAILED')
        GROUP BY 1 HAVING sum(n) <> 0;
        -- About one statement in 500 folds the rows, so they stay a few thousand even when
        -- no dashboard reads them (a drain appends ≈300 a second).
        IF random() < 0.002 THEN PERFORM errand_task_counts_compact(); END IF;
        RETURN NULL;
      END
      $$;

CREATE FUNCTION public.errand_task_counts_truncate() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
      BEGIN
        DELETE FROM errand_task_counts;
        DELETE FROM errand_task_throughput;
        RETURN NULL;
      END
      $$;

CREATE FUNCTION public.errand_task_counts_update() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
      
      BEGIN
        WITH delta AS (SELECT queue_name, status,
          CASE WHEN finished_at > now() - interval '2 hours' THEN date_trunc('minute', finished_at) END AS minute,
          count(*) AS n
        FROM new_rows GROUP BY 1, 2, 3 UNION ALL SELECT queue_name, status,
          CASE WHEN finished_at > now() - interval '2 hours' THEN date_trunc('minute', finished_at) END AS minute,
          -count(*) AS n
        FROM old_rows GROUP BY 1, 2, 3), counted AS (
          INSERT INTO errand_task_counts (queue_name, status, count)
          SELECT queue_name, status, sum(n) FROM delta GROUP BY 1, 2 HAVING sum(n) <> 0
        )
        INSERT INTO errand_task_throughput (minute, successful, failed)
        SELECT minute, coalesce(sum(n) FILTER (WHERE status = 'SUCCESSFUL'), 0),
          coalesce(sum(n) FILTER (WHERE status = 'FAILED'), 0)
        FROM delta WHERE minute IS NOT NULL AND status IN ('SUCCESSFUL', 'FAILED')
        GROUP BY 1 HAVING sum(n) <> 0;
        -- About one statement in 500 folds the rows, so they stay a few thousand even when
        -- no dashboard reads them (a drain appends ≈300 a second).
        IF random() < 0.002 THEN PERFORM errand_task_counts_compact(); END IF;
        RETURN NULL;
      END
      $$;

CREATE FUNCTION public.errand_task_dependencies_delete() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
      BEGIN
        DELETE FROM errand_task_dependencies e USING old_rows o WHERE e.task_id = o.id;
        DELETE FROM errand_task_dependencies e USING old_rows o WHERE e.depends_on_id = o.id;
        RETURN NULL;
      END
      $$;

CREATE FUNCTION public.errand_task_dependencies_truncate() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
      BEGIN
        DELETE FROM errand_task_dependencies;
        RETURN NULL;
      END
      $$;

CREATE FUNCTION public.errand_task_dependencies_update() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
      DECLARE
        ids uuid[];
        counts integer[];
        queues text[];
        q text;
      BEGIN
        -- The common case, a statement that finishes or retries no task with dependents or
        -- dependencies, ends here.
        IF NOT EXISTS (
          SELECT 1 FROM new_rows n
          WHERE (n.status IN ('SUCCESSFUL', 'FAILED')
              AND EXISTS (SELECT 1 FROM errand_task_dependencies e WHERE e.depends_on_id = n.id))
            OR (n.status = 'PENDING' AND n.depends_on IS NOT NULL)
        ) THEN
          RETURN NULL;
        END IF;

        -- Retried dependents (FAILED → PENDING) wait again for what has not succeeded.
        SELECT array_agg(n.id ORDER BY n.id) INTO ids
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE n.status = 'PENDING' AND o.status = 'FAILED' AND n.depends_on IS NOT NULL;
        IF ids IS NOT NULL THEN
          PERFORM 1 FROM errand_tasks WHERE id = ANY(ids) ORDER BY id FOR NO KEY UPDATE;
          UPDATE errand_tasks t SET waiting_on = (
            SELECT count(*) FROM errand_task_dependencies e JOIN errand_tasks d ON d.id = e.depends_on_id
            WHERE e.task_id = t.id AND d.status <> 'SUCCESSFUL')
          WHERE t.id = ANY(ids) AND t.status = 'PENDING';
        END IF;

        -- Dependencies that just succeeded: one less to wait for.
        SELECT array_agg(task_id ORDER BY task_id), array_agg(n ORDER BY task_id) INTO ids, counts FROM (
          SELECT e.task_id, count(*)::integer AS n
          FROM new_rows n JOIN old_rows o ON o.id = n.id
          JOIN errand_task_dependencies e ON e.depends_on_id = n.id
          WHERE n.status = 'SUCCESSFUL' AND o.status <> 'SUCCESSFUL'
          GROUP BY e.task_id) s;
        IF ids IS NOT NULL THEN
          PERFORM 1 FROM errand_tasks WHERE id = ANY(ids) ORDER BY id FOR NO KEY UPDATE;
          WITH released AS (
            UPDATE errand_tasks t SET waiting_on = greatest(t.waiting_on - s.n, 0)
            FROM unnest(ids, counts) AS s(id, n)
            WHERE t.id = s.id AND t.status = 'PENDING' AND t.waiting_on > 0
            RETURNING t.queue_name, t.waiting_on
          )
          SELECT array_agg(DISTINCT queue_name) INTO queues FROM released WHERE waiting_on = 0;
          -- Idle workers wake up for the tasks just released (as for an insert).
          IF queues IS NOT NULL THEN
            FOREACH q IN ARRAY queues LOOP PERFORM pg_notify('errand_tasks', q); END LOOP;
          END IF;
        END IF;

        -- Dependencies that just failed (out of retries, or cancelled): their waiting
        -- dependents fail without running, naming the first failed dependency. This UPDATE
        -- fires this trigger again, which fails their dependents in turn.
        SELECT array_agg(DISTINCT e.task_id ORDER BY e.task_id) INTO ids
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        JOIN errand_task_dependencies e ON e.depends_on_id = n.id
        WHERE n.status = 'FAILED' AND o.status <> 'FAILED';
        IF ids IS NOT NULL THEN
          PERFORM 1 FROM errand_tasks WHERE id = ANY(ids) ORDER BY id FOR NO KEY UPDATE;
          UPDATE errand_tasks t SET
            status = 'FAILED',
            finished_at = now(),
            errors = t.errors || jsonb_build_array(jsonb_build_object(
              'exceptionClass', 'DependencyFailed',
              'message', f.message,
              'traceback', 'DependencyFailed: ' || f.message,
              'attempt', t.attempts,
              'failedAt', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))
          FROM (
            SELECT DISTINCT ON (e.task_id) e.task_id,
              format('Task %s ("%s"), which this task depends on, failed, so this task did not run. Retry that task, then this one.', d.id, d.task_name) AS message
            FROM errand_task_dependencies e JOIN errand_tasks d ON d.id = e.depends_on_id
            WHERE e.task_id = ANY(ids) AND d.status = 'FAILED'
            ORDER BY e.task_id, e.position
          ) f
          WHERE t.id = f.task_id AND t.status = 'PENDING';
        END IF;
        RETURN NULL;
      END
      $$;

CREATE FUNCTION public.errand_task_timings_compact() RETURNS void
    LANGUAGE plpgsql
    AS $$
      BEGIN
        IF NOT pg_try_advisory_xact_lock(hashtext('errand_task_timings_compact')) THEN RETURN; END IF;
        WITH gone AS (DELETE FROM errand_task_timings RETURNING queue_name, minute, kind, bucket, count)
        INSERT INTO errand_task_timings (queue_name, minute, kind, bucket, count)
        SELECT queue_name, minute, kind, bucket, sum(count) FROM gone
        WHERE minute > now() - interval '2 hours'
        GROUP BY 1, 2, 3, 4;
      END
      $$;

CREATE FUNCTION public.errand_tasks_notify() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
      DECLARE q text;
      BEGIN
        FOR q IN SELECT DISTINCT queue_name FROM inserted_rows LOOP
          PERFORM pg_notify('errand_tasks', q);
        END LOOP;
        RETURN NULL;
      END
      $$;

CREATE TABLE public.errand_feed_listeners (
    pid integer NOT NULL,
    seen_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE public.errand_maintenance (
    name text NOT NULL,
    ran_at timestamp with time zone DEFAULT now() NOT NULL,
    worker_id text NOT NULL,
    details jsonb DEFAULT '{}'::jsonb NOT NULL
);

CREATE TABLE public.errand_migrations (
    name character varying(255) NOT NULL,
    "timestamp" character varying(255) NOT NULL
);

CREATE TABLE public.errand_migrations_lock (
    id character varying(255) NOT NULL,
    is_locked integer DEFAULT 0 NOT NULL
);

CREATE TABLE public.errand_queue_starts (
    queue_name character varying(32) NOT NULL,
    started_at timestamp with time zone NOT NULL,
    count integer NOT NULL,
    CONSTRAINT errand_queue_starts_count_positive CHECK ((count > 0))
);

CREATE TABLE public.errand_queues (
    name character varying(32) NOT NULL,
    paused boolean DEFAULT false NOT NULL,
    paused_at timestamp with time zone,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT errand_queues_paused_iff_paused_at CHECK ((paused = (paused_at IS NOT NULL)))
);

CREATE TABLE public.errand_schedule_ticks (
    schedule_name text NOT NULL,
    tick_at timestamp with time zone NOT NULL,
    task_id uuid,
    enqueued_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE SEQUENCE public.errand_task_changes_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

CREATE TABLE public.errand_task_counts (
    queue_name character varying(32) NOT NULL,
    status text NOT NULL,
    count bigint NOT NULL
);

CREATE TABLE public.errand_task_dependencies (
    task_id uuid NOT NULL,
    depends_on_id uuid NOT NULL,
    "position" integer NOT NULL,
    CONSTRAINT errand_task_dependencies_not_self CHECK ((task_id <> depends_on_id)),
    CONSTRAINT errand_task_dependencies_position_range CHECK ((("position" >= 0) AND ("position" < 1000)))
);

CREATE TABLE public.errand_task_throughput (
    minute timestamp with time zone NOT NULL,
    successful bigint NOT NULL,
    failed bigint NOT NULL
);

CREATE TABLE public.errand_task_timings (
    queue_name character varying(32) NOT NULL,
    minute timestamp with time zone NOT NULL,
    kind text NOT NULL,
    bucket smallint NOT NULL,
    count bigint NOT NULL,
    CONSTRAINT errand_task_timings_kind CHECK ((kind = ANY (ARRAY['lag'::text, 'duration'::text])))
);

CREATE TABLE public.errand_tasks (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    seq bigint NOT NULL,
    task_name text NOT NULL,
    queue_name character varying(32) DEFAULT 'default'::character varying NOT NULL,
    backend character varying(32) DEFAULT 'default'::character varying NOT NULL,
    priority integer DEFAULT 0 NOT NULL,
    args jsonb DEFAULT '[]'::jsonb NOT NULL,
    status text DEFAULT 'PENDING'::text NOT NULL,
    run_after timestamp with time zone DEFAULT now() NOT NULL,
    scheduled_at timestamp with time zone DEFAULT now() NOT NULL,
    enqueued_at timestamp with time zone DEFAULT now() NOT NULL,
    started_at timestamp with time zone,
    last_attempted_at timestamp with time zone,
    finished_at timestamp with time zone,
    attempts integer DEFAULT 0 NOT NULL,
    max_attempts integer DEFAULT 25 NOT NULL,
    worker_ids text[] DEFAULT '{}'::text[] NOT NULL,
    return_value jsonb,
    errors jsonb DEFAULT '[]'::jsonb NOT NULL,
    locked_by text,
    locked_until timestamp with time zone,
    repeat_seconds integer,
    repeat_until timestamp with time zone,
    verbose_name text,
    creator_type text,
    creator_id text,
    progress_done double precision,
    progress_total double precision,
    unique_key text,
    cancel_requested_at timestamp with time zone,
    concurrency_key text,
    concurrency_limit integer,
    depends_on uuid[],
    waiting_on integer DEFAULT 0 NOT NULL,
    traceparent text,
    tracestate text,
    CONSTRAINT errand_tasks_args_array CHECK ((jsonb_typeof(args) = 'array'::text)),
    CONSTRAINT errand_tasks_attempts_counted CHECK ((attempts = cardinality(worker_ids))),
    CONSTRAINT errand_tasks_cancel_only_running CHECK (((cancel_requested_at IS NULL) OR (status <> 'PENDING'::text))),
    CONSTRAINT errand_tasks_concurrency_key_valid CHECK ((((concurrency_key IS NULL) = (concurrency_limit IS NULL)) AND ((concurrency_key IS NULL) OR ((char_length(concurrency_key) >= 1) AND (char_length(concurrency_key) <= 255))) AND ((concurrency_limit IS NULL) OR (concurrency_limit >= 1)))),
    CONSTRAINT errand_tasks_creator_complete CHECK (((creator_type IS NULL) = (creator_id IS NULL))),
    CONSTRAINT errand_tasks_depends_on_size CHECK (((depends_on IS NULL) OR ((cardinality(depends_on) >= 1) AND (cardinality(depends_on) <= 1000)))),
    CONSTRAINT errand_tasks_errors_array CHECK ((jsonb_typeof(errors) = 'array'::text)),
    CONSTRAINT errand_tasks_finished_iff_finished_at CHECK (((status = ANY (ARRAY['SUCCESSFUL'::text, 'FAILED'::text])) = (finished_at IS NOT NULL))),
    CONSTRAINT errand_tasks_max_attempts_positive CHECK ((max_attempts >= 1)),
    CONSTRAINT errand_tasks_priority_range CHECK (((priority >= '-100'::integer) AND (priority <= 100))),
    CONSTRAINT errand_tasks_progress_valid CHECK ((((progress_done IS NULL) OR (progress_done >= (0)::double precision)) AND ((progress_total IS NULL) OR ((progress_done IS NOT NULL) AND (progress_total >= (0)::double precision))))),
    CONSTRAINT errand_tasks_queue_name_length CHECK ((char_length((queue_name)::text) >= 1)),
    CONSTRAINT errand_tasks_repeat_positive CHECK (((repeat_seconds IS NULL) OR (repeat_seconds > 0))),
    CONSTRAINT errand_tasks_return_value_only_successful CHECK (((return_value IS NULL) OR (status = 'SUCCESSFUL'::text))),
    CONSTRAINT errand_tasks_running_iff_locked CHECK (((status = 'RUNNING'::text) = ((locked_until IS NOT NULL) AND (locked_by IS NOT NULL)))),
    CONSTRAINT errand_tasks_started_once_attempted CHECK (((attempts = 0) = ((started_at IS NULL) AND (last_attempted_at IS NULL)))),
    CONSTRAINT errand_tasks_status_valid CHECK ((status = ANY (ARRAY['PENDING'::text, 'RUNNING'::text, 'SUCCESSFUL'::text, 'FAILED'::text]))),
    CONSTRAINT errand_tasks_task_name_length CHECK (((char_length(task_name) >= 1) AND (char_length(task_name) <= 255))),
    CONSTRAINT errand_tasks_traceparent_length CHECK ((char_length(traceparent) <= 55)),
    CONSTRAINT errand_tasks_tracestate_length CHECK ((char_length(tracestate) <= 512)),
    CONSTRAINT errand_tasks_unique_key_length CHECK (((unique_key IS NULL) OR ((char_length(unique_key) >= 1) AND (char_length(unique_key) <= 255)))),
    CONSTRAINT errand_tasks_waiting_on_range CHECK (((waiting_on >= 0) AND (waiting_on <= COALESCE(cardinality(depends_on), 0))))
);

ALTER TABLE public.errand_tasks ALTER COLUMN seq ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.errand_tasks_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

ALTER TABLE ONLY public.errand_feed_listeners
    ADD CONSTRAINT errand_feed_listeners_pkey PRIMARY KEY (pid);

ALTER TABLE ONLY public.errand_maintenance
    ADD CONSTRAINT errand_maintenance_pkey PRIMARY KEY (name);

ALTER TABLE ONLY public.errand_migrations_lock
    ADD CONSTRAINT errand_migrations_lock_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.errand_migrations
    ADD CONSTRAINT errand_migrations_pkey PRIMARY KEY (name);

ALTER TABLE ONLY public.errand_queues
    ADD CONSTRAINT errand_queues_pkey PRIMARY KEY (name);

ALTER TABLE ONLY public.errand_schedule_ticks
    ADD CONSTRAINT errand_schedule_ticks_pkey PRIMARY KEY (schedule_name, tick_at);

ALTER TABLE ONLY public.errand_task_dependencies
    ADD CONSTRAINT errand_task_dependencies_once UNIQUE (task_id, depends_on_id);

ALTER TABLE ONLY public.errand_task_dependencies
    ADD CONSTRAINT errand_task_dependencies_pkey PRIMARY KEY (task_id, "position");

ALTER TABLE ONLY public.errand_tasks
    ADD CONSTRAINT errand_tasks_pkey PRIMARY KEY (id);

CREATE INDEX errand_queue_starts_idx ON public.errand_queue_starts USING btree (queue_name, started_at);

CREATE INDEX errand_task_dependencies_depends_on_idx ON public.errand_task_dependencies USING btree (depends_on_id);

CREATE INDEX errand_tasks_failed_idx ON public.errand_tasks USING btree (seq) WHERE (status = 'FAILED'::text);

CREATE INDEX errand_tasks_finished_idx ON public.errand_tasks USING btree (finished_at) WHERE (finished_at IS NOT NULL);

CREATE INDEX errand_tasks_keyed_pending_idx ON public.errand_tasks USING btree (priority DESC, run_after, seq) WHERE ((status = 'PENDING'::text) AND (concurrency_key IS NOT NULL));

CREATE INDEX errand_tasks_keyed_running_idx ON public.errand_tasks USING btree (concurrency_key) WHERE ((status = 'RUNNING'::text) AND (concurrency_key IS NOT NULL));

CREATE INDEX errand_tasks_pending_idx ON public.errand_tasks USING btree (priority DESC, run_after, seq) WHERE (status = 'PENDING'::text);

CREATE INDEX errand_tasks_pending_queue_idx ON public.errand_tasks USING btree (queue_name, priority DESC, run_after, seq) WHERE (status = 'PENDING'::text);

CREATE INDEX errand_tasks_running_lease_idx ON public.errand_tasks USING btree (locked_until) WHERE (status = 'RUNNING'::text);

CREATE INDEX errand_tasks_seq_idx ON public.errand_tasks USING btree (seq);

CREATE UNIQUE INDEX errand_tasks_unique_key_idx ON public.errand_tasks USING btree (unique_key) WHERE ((unique_key IS NOT NULL) AND (status = ANY (ARRAY['PENDING'::text, 'RUNNING'::text])));

CREATE TRIGGER errand_tasks_changes_delete AFTER DELETE ON public.errand_tasks REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION public.errand_task_changes_delete();

CREATE TRIGGER errand_tasks_changes_insert AFTER INSERT ON public.errand_tasks REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.errand_task_changes_insert();

CREATE TRIGGER errand_tasks_changes_truncate AFTER TRUNCATE ON public.errand_tasks FOR EACH STATEMENT EXECUTE FUNCTION public.errand_task_changes_truncate();

CREATE TRIGGER errand_tasks_changes_update AFTER UPDATE ON public.errand_tasks REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.errand_task_changes_update();

CREATE TRIGGER errand_tasks_count_delete AFTER DELETE ON public.errand_tasks REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION public.errand_task_counts_delete();

CREATE TRIGGER errand_tasks_count_insert AFTER INSERT ON public.errand_tasks REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.errand_task_counts_insert();

CREATE TRIGGER errand_tasks_count_truncate AFTER TRUNCATE ON public.errand_tasks FOR EACH STATEMENT EXECUTE FUNCTION public.errand_task_counts_truncate();

CREATE TRIGGER errand_tasks_count_update AFTER UPDATE ON public.errand_tasks REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.errand_task_counts_update();

CREATE TRIGGER errand_tasks_dependencies_delete AFTER DELETE ON public.errand_tasks REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION public.errand_task_dependencies_delete();

CREATE TRIGGER errand_tasks_dependencies_truncate AFTER TRUNCATE ON public.errand_tasks FOR EACH STATEMENT EXECUTE FUNCTION public.errand_task_dependencies_truncate();

CREATE TRIGGER errand_tasks_dependencies_update AFTER UPDATE ON public.errand_tasks REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.errand_task_dependencies_update();

CREATE TRIGGER errand_tasks_notify_insert AFTER INSERT ON public.errand_tasks REFERENCING NEW TABLE AS inserted_rows FOR EACH STATEMENT EXECUTE FUNCTION public.errand_tasks_notify();
