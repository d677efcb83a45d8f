-- $1 id, $2 worker id, $3 attempt (the lease), $4 delay in ms. Available again after the
-- delay without spending the attempt (cancelled instead if cancellation was requested).
UPDATE daap.jobs
   SET state = CASE WHEN cancel_requested_at IS NULL THEN 'available' ELSE 'cancelled' END,
       finished_at = CASE WHEN cancel_requested_at IS NULL THEN NULL ELSE now() END,
       run_at = CASE
                  WHEN cancel_requested_at IS NULL
                  THEN now() + $4::float8 * interval '1 millisecond'
                  ELSE run_at
                END,
       attempt = CASE WHEN cancel_requested_at IS NULL THEN attempt - 1 ELSE attempt END,
       lease_expires_at = NULL
 WHERE id = $1 AND state = 'running' AND locked_by = $2 AND attempt = $3
RETURNING id
