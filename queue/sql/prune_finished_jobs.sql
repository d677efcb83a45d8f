-- $1 succeeded retention in ms, $2 failed (and cancelled) retention in ms, $3 limit.
WITH doomed AS (
  SELECT id
    FROM daap.jobs
   WHERE (state = 'succeeded' AND finished_at < now() - $1::float8 * interval '1 millisecond')
      OR (state IN ('failed', 'cancelled')
          AND finished_at < now() - $2::float8 * interval '1 millisecond')
   LIMIT $3
     FOR UPDATE SKIP LOCKED
)
DELETE FROM daap.jobs AS j
 USING doomed
 WHERE j.id = doomed.id
