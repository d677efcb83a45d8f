-- $1 limit. Running jobs whose lease expired (their worker crashed or stalled): cancelled if
-- cancellation was requested, failed when out of attempts, else available now (the attempt
-- stays spent). Records why in the error history.
WITH expired AS (
  SELECT id
    FROM daap.jobs
   WHERE state = 'running' AND lease_expires_at < now()
   ORDER BY lease_expires_at
   LIMIT $1
     FOR UPDATE SKIP LOCKED
)
UPDATE daap.jobs AS j
   SET state = CASE
                 WHEN j.cancel_requested_at IS NOT NULL THEN 'cancelled'
                 WHEN j.attempt >= j.max_attempts THEN 'failed'
                 ELSE 'available'
               END,
       finished_at = CASE
                       WHEN j.cancel_requested_at IS NOT NULL OR j.attempt >= j.max_attempts
                       THEN now()
                     END,
       run_at = CASE
                  WHEN j.cancel_requested_at IS NOT NULL OR j.attempt >= j.max_attempts
                  THEN j.run_at
                  ELSE now()
                END,
       lease_expires_at = NULL,
       last_error = 'lease expired: worker ' || j.locked_by || ' stopped heartbeating',
       -- overall_attempt: as in fail_job.sql, counting across retries.
       errors = j.errors || jsonb_build_array(jsonb_build_object(
                  'attempt', j.attempt,
                  'overall_attempt',
                    COALESCE((j.errors -> -1 ->> 'overall_attempt')::int,
                             (j.errors -> -1 ->> 'attempt')::int, 0)
                    + CASE WHEN j.attempt > COALESCE((j.errors -> -1 ->> 'attempt')::int, 0)
                           THEN j.attempt - COALESCE((j.errors -> -1 ->> 'attempt')::int, 0)
                           ELSE j.attempt END,
                  'at', now(),
                  'error', 'lease expired: worker ' || j.locked_by || ' stopped heartbeating'))
  FROM expired
 WHERE j.id = expired.id
RETURNING j.state
