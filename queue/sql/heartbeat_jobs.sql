-- $1 ids (bigint[]), $2 worker ids (text[]), $3 attempts (int[]): the leases; $4 lease in ms.
-- Extends the leases still held; returns them with whether cancellation was requested.
-- The fence is the lease itself (lease_expires_at IS NOT NULL, held by this worker and attempt),
-- which only a running job has (jobs_lease_only_while_running): unlike state = 'running' it does
-- not let the planner walk jobs_lease_expires_at_idx, whose size it cannot know on a freshly
-- filled table, instead of finding each job by its primary key.
UPDATE daap.jobs AS j
   SET lease_expires_at = now() + $4::float8 * interval '1 millisecond'
  FROM unnest($1::bigint[], $2::text[], $3::integer[]) AS l(id, worker, attempt)
 WHERE j.id = l.id AND j.lease_expires_at IS NOT NULL AND j.locked_by = l.worker
   AND j.attempt = l.attempt
RETURNING j.id, j.cancel_requested_at IS NOT NULL AS cancel_requested
