-- $1 ids (bigint[]), $2 worker ids (text[]), $3 attempts (int[]): the leases. Shutdown:
-- available now without spending the attempt (cancelled if cancellation was requested).
-- The fence is the lease itself (lease_expires_at IS NOT NULL, held by this worker and attempt),
-- which only a running job has (jobs_lease_only_while_running): unlike state = 'running' it does
-- not let the planner walk jobs_lease_expires_at_idx, whose size it cannot know on a freshly
-- filled table, instead of finding each job by its primary key.
UPDATE daap.jobs AS j
   SET state = CASE WHEN j.cancel_requested_at IS NULL THEN 'available' ELSE 'cancelled' END,
       finished_at = CASE WHEN j.cancel_requested_at IS NULL THEN NULL ELSE now() END,
       run_at = CASE WHEN j.cancel_requested_at IS NULL THEN now() ELSE j.run_at END,
       attempt = CASE WHEN j.cancel_requested_at IS NULL THEN j.attempt - 1 ELSE j.attempt END,
       lease_expires_at = NULL
  FROM unnest($1::bigint[], $2::text[], $3::integer[]) AS l(id, worker, attempt)
 WHERE j.id = l.id AND j.lease_expires_at IS NOT NULL AND j.locked_by = l.worker
   AND j.attempt = l.attempt
RETURNING j.id
