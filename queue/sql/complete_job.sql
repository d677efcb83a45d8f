-- $1 id, $2 worker id, $3 attempt (the lease), $4 result (jsonb, NULL for none).
UPDATE daap.jobs
   SET state = 'succeeded',
       finished_at = now(),
       lease_expires_at = NULL,
       result = nullif($4::jsonb, 'null'::jsonb)
 WHERE id = $1 AND state = 'running' AND locked_by = $2 AND attempt = $3
RETURNING id
