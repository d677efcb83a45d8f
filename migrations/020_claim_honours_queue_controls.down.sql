-- The claim as migration 011 wrote it, before queues could be paused or limited.
-- Claims up to max_jobs due jobs for worker_id: from each of `queues` in turn (in the order
-- given; callers rotate it for fairness), by priority, run_at, id within a queue, skipping rows
-- other workers have locked. Sets them running, spends an attempt, and gives a lease of
-- lease_ms milliseconds. after_priority/after_run_at/after_id (one element per queue, NULL for
-- none) are where the caller's previous claim in that queue stopped: the scan starts there
-- instead of walking index entries of jobs claimed since, which cannot be removed while a long
-- transaction holds back the xmin horizon. Rows come back in claim order, per queue.
CREATE OR REPLACE FUNCTION daap.claim_jobs(
  worker_id      text,
  queues         text[],
  max_jobs       integer,
  lease_ms       double precision,
  after_priority smallint[]    DEFAULT NULL,
  after_run_at   timestamptz[] DEFAULT NULL,
  after_id       bigint[]      DEFAULT NULL
) RETURNS TABLE (id bigint, kind text, queue text, payload jsonb, priority smallint,
                 run_at timestamptz, attempt integer, max_attempts integer, database_id uuid,
                 unique_key text, timeout_ms bigint)
LANGUAGE plpgsql
-- Only the ordered index scan remains cheap; the rest costs too much to be picked. JIT would
-- compile for those inflated costs, so it is off too.
SET enable_seqscan = off
SET enable_bitmapscan = off
SET enable_sort = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
  wanted integer := max_jobs;
  got integer;
BEGIN
  FOR i IN 1 .. coalesce(cardinality(queues), 0) LOOP
    EXIT WHEN wanted IS NULL OR wanted <= 0;
    RETURN QUERY
      WITH next AS (
        SELECT j.id
          FROM daap.jobs AS j
         WHERE j.state = 'available' AND j.queue = queues[i] AND j.run_at <= now()
           -- Without a hint, a key below every row (run_at is always finite).
           AND (j.priority, j.run_at, j.id) > (coalesce(after_priority[i], (-32768)::smallint),
                                               coalesce(after_run_at[i], '-infinity'),
                                               coalesce(after_id[i], 0))
         ORDER BY j.priority, j.run_at, j.id
         LIMIT wanted
           FOR UPDATE SKIP LOCKED
      ), claimed AS (
        UPDATE daap.jobs AS j
           SET state = 'running',
               attempt = j.attempt + 1,
               started_at = now(),
               locked_by = worker_id,
               lease_expires_at = now() + lease_ms * interval '1 millisecond'
          FROM next
         WHERE j.id = next.id
        RETURNING j.id, j.kind, j.queue, j.payload, j.priority, j.run_at, j.attempt,
                  j.max_attempts, j.database_id, j.unique_key,
                  (extract(epoch FROM j.timeout) * 1000)::bigint AS timeout_ms
      )
      SELECT * FROM claimed AS c ORDER BY c.priority, c.run_at, c.id;
    GET DIAGNOSTICS got = ROW_COUNT;
    wanted := wanted - got;
  END LOOP;
END;
$$;
