-- $1 database id, $2 how many, $3 kinds (text[]; NULL: any). The newest jobs concerning that
-- databases record, newest first, through jobs_database_id_idx.
SELECT id, kind, queue, payload, state, priority, attempt, max_attempts,
       to_jsonb(run_at) #>> '{}' AS run_at,
       to_jsonb(created_at) #>> '{}' AS created_at,
       to_jsonb(started_at) #>> '{}' AS started_at,
       to_jsonb(finished_at) #>> '{}' AS finished_at,
       locked_by,
       to_jsonb(lease_expires_at) #>> '{}' AS lease_expires_at,
       last_error, unique_key, database_id,
       to_jsonb(cancel_requested_at) #>> '{}' AS cancel_requested_at,
       timeout::text AS timeout,
       errors, result
  FROM daap.jobs
 WHERE database_id = $1::uuid AND ($3::text[] IS NULL OR kind = ANY ($3::text[]))
 ORDER BY id DESC
 LIMIT $2
