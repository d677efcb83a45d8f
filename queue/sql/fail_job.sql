-- $1 id, $2 worker id, $3 attempt (the lease), $4 error, $5 permanent, $6 retry delay in ms.
-- Cancelled if cancellation was requested; failed if permanent or out of attempts; else
-- available again after the delay. The error is appended to the history either way, with the
-- attempt within the current budget and `overall_attempt`, which keeps counting across
-- `daapctl jobs retry` (that resets attempt to 0): the last entry's overall_attempt plus the
-- attempts spent since it (all of `attempt` when it went back down: a retry happened).
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
                  jsonb_build_object(
                    'attempt', attempt,
                    'overall_attempt',
                      COALESCE((errors -> -1 ->> 'overall_attempt')::int,
                               (errors -> -1 ->> 'attempt')::int, 0)
                      + CASE WHEN attempt > COALESCE((errors -> -1 ->> 'attempt')::int, 0)
                             THEN attempt - COALESCE((errors -> -1 ->> 'attempt')::int, 0)
                             ELSE attempt END,
                    'at', now(), 'error', $4::text))
 WHERE id = $1 AND state = 'running' AND locked_by = $2 AND attempt = $3
RETURNING state
