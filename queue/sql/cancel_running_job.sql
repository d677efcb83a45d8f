-- $1 id, $2 worker id, $3 attempt (the lease), $4 why. The handler honoured a cancellation.
UPDATE daap.jobs
   SET state = 'cancelled',
       finished_at = now(),
       lease_expires_at = NULL,
       cancel_requested_at = coalesce(cancel_requested_at, now()),
       last_error = $4
 WHERE id = $1 AND state = 'running' AND locked_by = $2 AND attempt = $3
RETURNING id
