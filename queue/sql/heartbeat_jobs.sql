-- $1 ids (bigint[]), $2 worker ids (text[]), $3 attempts (int[]): the leases; $4 lease in ms.
-- Extends the leases still held; returns them with whether cancellation was requested.
UPDATE daap.jobs AS j
   SET lease_expires_at = now() + $4::float8 * interval '1 millisecond'
  FROM unnest($1::bigint[], $2::text[], $3::integer[]) AS l(id, worker, attempt)
 WHERE j.id = l.id AND j.state = 'running' AND j.locked_by = l.worker AND j.attempt = l.attempt
RETURNING j.id, j.cancel_requested_at IS NOT NULL AS cancel_requested
