-- $1 state, $2 kind, $3 queue, $4 database_id, $5 since, $6 until, $7 text the last error
-- contains (case-insensitive), each NULL: any (as in select_jobs.sql); $8 only ids below this
-- one (the cursor; NULL: from the newest); $9 limit. Newest first (daapctl jobs list, the
-- console's job list): the primary key, or with a state the (state, id) index, is walked
-- backwards from the cursor, so a page reads about $9 rows whatever the other states hold.
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
 WHERE ($1::text IS NULL OR state = $1)
   AND ($2::text IS NULL OR kind = $2)
   AND ($3::text IS NULL OR queue = $3)
   AND ($4::uuid IS NULL OR database_id = $4)
   AND ($5::timestamptz IS NULL OR coalesce(finished_at, created_at) >= $5)
   AND ($6::timestamptz IS NULL OR coalesce(finished_at, created_at) < $6)
   AND ($7::text IS NULL OR strpos(lower(last_error), lower($7)) > 0)
   AND ($8::bigint IS NULL OR id < $8)
 ORDER BY id DESC
 LIMIT $9
