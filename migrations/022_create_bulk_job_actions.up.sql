-- What an admin does to many jobs at once, from any language and from daapctl (its only
-- implementation): retry, cancel, run now, reschedule, delete. Each takes job ids and returns one
-- row per distinct id, in id order: (id, old_state, new_state, reason). reason is NULL when the
-- action was done, otherwise why not ('no such job', the state that does not allow it, the
-- unfinished job holding its unique_key); new_state is then the state the job stays in.
--
-- Concurrency: each locks the rows it changes in ascending id order, as the worker's batch
-- statements do, so it never deadlocks with them; a row locked by a claim or a completion under
-- way is WAITED for (never skipped), then judged by its state after that commit. Worker
-- transactions are short and end on the server when they go quiet, so the wait is short. Call
-- them with at most about 1,000 ids per transaction (daapctl does) so that no lock is held long.

-- Failed or cancelled jobs run again now with a fresh attempt budget (attempt back to 0); their
-- error history is kept. Not while another unfinished job holds the same unique_key; of several
-- given jobs sharing a unique_key, only the newest (highest id) is retried. Wakes idle workers.
CREATE FUNCTION daap.retry_jobs(ids bigint[])
RETURNS TABLE (id bigint, old_state text, new_state text, reason text)
LANGUAGE plpgsql
SET enable_seqscan = off
AS $$
#variable_conflict use_column
DECLARE
  any_done boolean := false;
BEGIN
  FOR id, old_state, new_state, reason IN
    WITH wanted AS (
      SELECT DISTINCT w.id FROM unnest(ids) AS w(id) WHERE w.id IS NOT NULL
    ), locked AS MATERIALIZED (
      SELECT j.id, j.state, j.unique_key
        FROM daap.jobs AS j
       WHERE j.id = ANY (ids) AND j.state IN ('failed', 'cancelled')
       ORDER BY j.id
         FOR NO KEY UPDATE
    ), decided AS MATERIALIZED (
      SELECT l.id, l.state,
             CASE
               WHEN h.holder IS NOT NULL THEN
                 format('unfinished job %s holds its unique_key %L', h.holder, l.unique_key)
               WHEN l.unique_key IS NOT NULL
                    AND l.id <> max(l.id) OVER (PARTITION BY l.unique_key) THEN
                 format('job %s, also given, shares its unique_key %L and is retried instead',
                        max(l.id) OVER (PARTITION BY l.unique_key), l.unique_key)
             END AS reason
        FROM locked AS l
        LEFT JOIN LATERAL (
          SELECT o.id AS holder
            FROM daap.jobs AS o
           WHERE l.unique_key IS NOT NULL AND o.unique_key = l.unique_key
             AND o.state IN ('available', 'running')
           LIMIT 1) AS h ON true
    ), retried AS (
      UPDATE daap.jobs AS j
         SET state = 'available',
             attempt = 0,
             run_at = now(),
             started_at = NULL,
             finished_at = NULL,
             lease_expires_at = NULL,
             cancel_requested_at = NULL,
             result = NULL
        FROM decided AS d
       WHERE j.id = d.id AND d.reason IS NULL AND j.state IN ('failed', 'cancelled')
      RETURNING j.id
    )
    SELECT w.id,
           coalesce(d.state, s.state),
           CASE WHEN r.id IS NOT NULL THEN 'available' ELSE coalesce(d.state, s.state) END,
           CASE
             WHEN r.id IS NOT NULL THEN NULL
             WHEN d.reason IS NOT NULL THEN d.reason
             WHEN s.id IS NULL THEN 'no such job'
             ELSE format('it is %s: only failed or cancelled jobs can be retried', s.state)
           END
      FROM wanted AS w
      LEFT JOIN decided AS d ON d.id = w.id
      LEFT JOIN retried AS r ON r.id = w.id
      LEFT JOIN daap.jobs AS s ON s.id = w.id
     ORDER BY w.id
  LOOP
    any_done := any_done OR reason IS NULL;
    RETURN NEXT;
  END LOOP;
  IF any_done THEN
    PERFORM pg_notify('daap_jobs', '');
  END IF;
END;
$$;

-- An available job is cancelled at once; a running one is asked to stop (cancel_requested_at;
-- NOTIFY daap_job_cancel with its id, which its worker hears and interrupts it; new_state stays
-- 'running' with reason NULL: the request was made). Finished jobs are refused.
CREATE FUNCTION daap.cancel_jobs(ids bigint[])
RETURNS TABLE (id bigint, old_state text, new_state text, reason text)
LANGUAGE plpgsql
SET enable_seqscan = off
AS $$
#variable_conflict use_column
BEGIN
  FOR id, old_state, new_state, reason IN
    WITH wanted AS (
      SELECT DISTINCT w.id FROM unnest(ids) AS w(id) WHERE w.id IS NOT NULL
    ), locked AS MATERIALIZED (
      SELECT j.id, j.state
        FROM daap.jobs AS j
       WHERE j.id = ANY (ids) AND j.state IN ('available', 'running')
       ORDER BY j.id
         FOR NO KEY UPDATE
    ), cancelled AS (
      UPDATE daap.jobs AS j
         SET state = CASE WHEN j.state = 'available' THEN 'cancelled' ELSE j.state END,
             finished_at = CASE WHEN j.state = 'available' THEN now() ELSE j.finished_at END,
             cancel_requested_at = coalesce(j.cancel_requested_at, now())
        FROM locked AS l
       WHERE j.id = l.id AND j.state IN ('available', 'running')
      RETURNING j.id, j.state
    )
    SELECT w.id,
           coalesce(l.state, s.state),
           coalesce(c.state, s.state),
           CASE
             WHEN c.id IS NOT NULL THEN NULL
             WHEN s.id IS NULL THEN 'no such job'
             ELSE format('it is already %s: only available or running jobs can be cancelled',
                         s.state)
           END
      FROM wanted AS w
      LEFT JOIN locked AS l ON l.id = w.id
      LEFT JOIN cancelled AS c ON c.id = w.id
      LEFT JOIN daap.jobs AS s ON s.id = w.id
     ORDER BY w.id
  LOOP
    IF reason IS NULL AND new_state = 'running' THEN
      PERFORM pg_notify('daap_job_cancel', id::text);
    END IF;
    RETURN NEXT;
  END LOOP;
END;
$$;

-- An available job that waits for its run_at (scheduled, or backing off before a retry) becomes
-- due now (run_at = now(); it keeps its priority). A due one is left as it is ('already due').
-- Wakes idle workers.
CREATE FUNCTION daap.run_jobs_now(ids bigint[])
RETURNS TABLE (id bigint, old_state text, new_state text, reason text)
LANGUAGE plpgsql
SET enable_seqscan = off
AS $$
#variable_conflict use_column
DECLARE
  any_done boolean := false;
BEGIN
  FOR id, old_state, new_state, reason IN
    WITH wanted AS (
      SELECT DISTINCT w.id FROM unnest(ids) AS w(id) WHERE w.id IS NOT NULL
    ), locked AS MATERIALIZED (
      SELECT j.id
        FROM daap.jobs AS j
       WHERE j.id = ANY (ids) AND j.state = 'available' AND j.run_at > now()
       ORDER BY j.id
         FOR NO KEY UPDATE
    ), moved AS (
      UPDATE daap.jobs AS j
         SET run_at = now()
        FROM locked AS l
       WHERE j.id = l.id AND j.state = 'available' AND j.run_at > now()
      RETURNING j.id
    )
    SELECT w.id, s.state, s.state,
           CASE
             WHEN m.id IS NOT NULL THEN NULL
             WHEN s.id IS NULL THEN 'no such job'
             WHEN s.state = 'available' THEN 'already due'
             ELSE format('it is %s: only available jobs can be run now', s.state)
           END
      FROM wanted AS w
      LEFT JOIN moved AS m ON m.id = w.id
      LEFT JOIN daap.jobs AS s ON s.id = w.id
     ORDER BY w.id
  LOOP
    any_done := any_done OR reason IS NULL;
    RETURN NEXT;
  END LOOP;
  IF any_done THEN
    PERFORM pg_notify('daap_jobs', '');
  END IF;
END;
$$;

-- Available jobs wait until run_at (earlier or later than now; a time in the past makes them due
-- at once). Other states are refused. run_at must be a finite time. Wakes idle workers.
CREATE FUNCTION daap.reschedule_jobs(ids bigint[], run_at timestamptz)
RETURNS TABLE (id bigint, old_state text, new_state text, reason text)
LANGUAGE plpgsql
SET enable_seqscan = off
AS $$
#variable_conflict use_column
DECLARE
  any_done boolean := false;
BEGIN
  IF reschedule_jobs.run_at IS NULL OR NOT isfinite(reschedule_jobs.run_at) THEN
    RAISE EXCEPTION 'daap.reschedule_jobs: run_at must be a finite time, got %',
      coalesce(reschedule_jobs.run_at::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  FOR id, old_state, new_state, reason IN
    WITH wanted AS (
      SELECT DISTINCT w.id FROM unnest(ids) AS w(id) WHERE w.id IS NOT NULL
    ), locked AS MATERIALIZED (
      SELECT j.id
        FROM daap.jobs AS j
       WHERE j.id = ANY (ids) AND j.state = 'available'
       ORDER BY j.id
         FOR NO KEY UPDATE
    ), moved AS (
      UPDATE daap.jobs AS j
         SET run_at = reschedule_jobs.run_at
        FROM locked AS l
       WHERE j.id = l.id AND j.state = 'available'
      RETURNING j.id
    )
    SELECT w.id, s.state, s.state,
           CASE
             WHEN m.id IS NOT NULL THEN NULL
             WHEN s.id IS NULL THEN 'no such job'
             ELSE format('it is %s: only available jobs can be rescheduled', s.state)
           END
      FROM wanted AS w
      LEFT JOIN moved AS m ON m.id = w.id
      LEFT JOIN daap.jobs AS s ON s.id = w.id
     ORDER BY w.id
  LOOP
    any_done := any_done OR reason IS NULL;
    RETURN NEXT;
  END LOOP;
  IF any_done THEN
    PERFORM pg_notify('daap_jobs', '');
  END IF;
END;
$$;

-- Finished jobs (succeeded, failed, cancelled) are deleted now, before retention would prune
-- them; new_state is 'deleted'. Unfinished jobs are refused: cancel them first.
CREATE FUNCTION daap.delete_jobs(ids bigint[])
RETURNS TABLE (id bigint, old_state text, new_state text, reason text)
LANGUAGE plpgsql
SET enable_seqscan = off
AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
    WITH wanted AS (
      SELECT DISTINCT w.id FROM unnest(ids) AS w(id) WHERE w.id IS NOT NULL
    ), locked AS MATERIALIZED (
      SELECT j.id, j.state
        FROM daap.jobs AS j
       WHERE j.id = ANY (ids) AND j.state IN ('succeeded', 'failed', 'cancelled')
       ORDER BY j.id
         FOR UPDATE
    ), deleted AS (
      DELETE FROM daap.jobs AS j
       USING locked AS l
       WHERE j.id = l.id
      RETURNING j.id
    )
    SELECT w.id,
           coalesce(l.state, s.state),
           CASE WHEN d.id IS NOT NULL THEN 'deleted' ELSE s.state END,
           CASE
             WHEN d.id IS NOT NULL THEN NULL
             WHEN s.id IS NULL THEN 'no such job'
             ELSE format('it is %s: only finished jobs can be deleted (cancel it first)', s.state)
           END
      FROM wanted AS w
      LEFT JOIN locked AS l ON l.id = w.id
      LEFT JOIN deleted AS d ON d.id = w.id
      LEFT JOIN daap.jobs AS s ON s.id = w.id
     ORDER BY w.id;
END;
$$;
