-- $1 worker id, $2 queues (text[]), $3 limit, $4 lease in milliseconds.
-- Claims up to $3 due jobs in (priority, run_at, id) order, skipping rows locked by others.
WITH next AS (
  SELECT id
    FROM daap.jobs
   WHERE state = 'available' AND run_at <= now() AND queue = ANY ($2::text[])
   ORDER BY priority, run_at, id
   LIMIT $3
     FOR UPDATE SKIP LOCKED
)
UPDATE daap.jobs AS j
   SET state = 'running',
       attempt = j.attempt + 1,
       started_at = now(),
       locked_by = $1,
       lease_expires_at = now() + $4::float8 * interval '1 millisecond'
  FROM next
 WHERE j.id = next.id
RETURNING j.id, j.kind, j.queue, j.payload, j.priority, j.attempt, j.max_attempts,
          (extract(epoch FROM j.run_at) * 1000000)::bigint AS run_at_us,
          (extract(epoch FROM j.created_at) * 1000000)::bigint AS created_at_us,
          j.database_id, j.unique_key
