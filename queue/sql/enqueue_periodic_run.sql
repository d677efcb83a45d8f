-- $1 name, $2 scheduled time (RFC 3339), $3 unique key. Enqueues the run of periodic job $1
-- scheduled at $2, unless a run scheduled at or after $2 was enqueued already, and records it
-- in the same statement; returns the job's id, or no row. The caller holds the row's lock.
WITH due AS (
  SELECT name, kind, payload, queue, priority, max_attempts
    FROM daap.periodic_jobs
   WHERE name = $1 AND enabled
     AND (last_scheduled_at IS NULL OR last_scheduled_at < $2::timestamptz)
), run AS (
  SELECT daap.enqueue(kind => due.kind, payload => due.payload, queue => due.queue,
                      priority => due.priority, run_at => $2::timestamptz,
                      max_attempts => due.max_attempts, unique_key => $3) AS id
    FROM due
)
UPDATE daap.periodic_jobs AS p
   SET last_scheduled_at = $2::timestamptz,
       last_enqueued_at = clock_timestamp(),
       last_job_id = run.id,
       last_error = NULL
  FROM run
 WHERE p.name = $1
RETURNING run.id
