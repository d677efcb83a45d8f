-- $1 id, $2 worker id, $3 attempt (the lease), $4 error, $5 permanent, $6 retry delay in ms.
-- Cancelled if cancellation was requested; failed if permanent or out of attempts; else
-- available again after the delay. The error is appended to the history either way.
UPDATE daap.jobs
   SET state = CASE
                 WHEN cancel_requested_at IS NOT NULL THEN 'cancelled'
                 WHEN $5::boolean OR attempt >= max_attempts THEN 'failed'
                 ELSE 'available'
               END,
       finished_at = CASE
                       WHEN cancel_requested_at IS NOT NULL OR $5::boolean
                            OR attempt >= max_attempts THEN now()
                     END,
       run_at = CASE
                  WHEN cancel_requested_at IS NOT NULL OR $5::boolean
                       OR attempt >= max_attempts THEN run_at
                  ELSE now() + $6::float8 * interval '1 millisecond'
                END,
       lease_expires_at = NULL,
       last_error = $4,
       errors = errors || jsonb_build_array(
                  jsonb_build_object('attempt', attempt, 'at', now(), 'error', $4::text))
 WHERE id = $1 AND state = 'running' AND locked_by = $2 AND attempt = $3
RETURNING state
