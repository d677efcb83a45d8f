-- The claim honours the queues' controls (daap.queues, migration 019): it takes nothing from a
-- paused queue, and from a queue with max_running no more than the limit leaves room for.
--
-- What a queue without a pause or a limit pays: one primary-key lookup in daap.queues per claim
-- (not per job); its jobs are claimed by the same statement as before, and no write and no index
-- entry is added per claimed or completed job.
--
-- A limited queue: the running jobs are the rows in state running (claimed-ahead jobs included),
-- and only a claim makes rows running, so claims in that queue take turns on its daap.queues row
-- (FOR NO KEY UPDATE): each counts the queue's running jobs under that lock, after the previous
-- holder committed, and takes at most what is left. A claim that finds the row locked by another
-- claim skips the queue this time instead of waiting (so two claims that rotated two limited
-- queues in opposite orders cannot deadlock); its worker comes back at its next claim. Claims in
-- other queues never touch the row. The count walks the running jobs' index
-- (jobs_lease_expires_at_idx), so a claim in a limited queue costs O(jobs held by all workers), and
-- it is skipped when the queue has no due job.
--
-- A claim already under way when a queue is paused or limited finishes under the old setting.
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
  paused boolean;
  cap integer;
  room integer;
BEGIN
  FOR i IN 1 .. coalesce(cardinality(queues), 0) LOOP
    EXIT WHEN wanted IS NULL OR wanted <= 0;
    SELECT q.paused_at IS NOT NULL, q.max_running INTO paused, cap
      FROM daap.queues AS q
     WHERE q.name = queues[i];
    CONTINUE WHEN paused;
    room := wanted;
    IF cap IS NOT NULL THEN
      CONTINUE WHEN NOT EXISTS (
        SELECT FROM daap.jobs AS j
         WHERE j.state = 'available' AND j.queue = queues[i] AND j.run_at <= now()
           AND (j.priority, j.run_at, j.id) > (coalesce(after_priority[i], (-32768)::smallint),
                                               coalesce(after_run_at[i], '-infinity'),
                                               coalesce(after_id[i], 0)));
      -- The row as its latest committed version says: a pause or a new limit committed since this
      -- claim began applies.
      SELECT q.max_running INTO cap
        FROM daap.queues AS q
       WHERE q.name = queues[i] AND q.paused_at IS NULL AND q.max_running IS NOT NULL
         FOR NO KEY UPDATE SKIP LOCKED;
      CONTINUE WHEN NOT FOUND;
      -- A fresh snapshot: every claim that held the lock before has committed, and is counted.
      room := least(wanted, cap - (SELECT count(*)
                                     FROM (SELECT FROM daap.jobs AS j
                                            WHERE j.state = 'running' AND j.queue = queues[i]
                                            LIMIT cap) AS held));
      CONTINUE WHEN room <= 0;
    END IF;
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
         LIMIT room
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
