-- $1 ids (bigint[]), $2 worker ids (text[]), $3 attempts (int[]): the leases;
-- $4 a JSON array of results, one per lease. Returns the ids whose fence held.
-- The fence is the lease itself (lease_expires_at IS NOT NULL, held by this worker and attempt),
-- which only a running job has (jobs_lease_only_while_running): unlike state = 'running' it does
-- not let the planner walk jobs_lease_expires_at_idx, whose size it cannot know on a freshly
-- filled table, instead of finding each job by its primary key.
UPDATE daap.jobs AS j
   SET state = 'succeeded',
       finished_at = now(),
       lease_expires_at = NULL,
       result = nullif($4::jsonb -> (l.ord::integer - 1), 'null'::jsonb)
  FROM unnest($1::bigint[], $2::text[], $3::integer[]) WITH ORDINALITY
       AS l(id, worker, attempt, ord)
 WHERE j.id = l.id AND j.lease_expires_at IS NOT NULL AND j.locked_by = l.worker
   AND j.attempt = l.attempt
RETURNING j.id
