-- $1 succeeded retention in ms, $2 failed (and cancelled) retention in ms, $3 limit.
-- Walks jobs_finished_at_idx from the oldest, up to the shorter retention's cutoff.
WITH doomed AS (
  SELECT id
    FROM daap.jobs
   WHERE state IN ('succeeded', 'failed', 'cancelled')
     AND finished_at < now() - least($1::float8, $2::float8) * interval '1 millisecond'
     AND (state <> 'succeeded' OR finished_at < now() - $1::float8 * interval '1 millisecond')
     AND (state = 'succeeded' OR finished_at < now() - $2::float8 * interval '1 millisecond')
   ORDER BY finished_at
   LIMIT $3
     FOR UPDATE SKIP LOCKED
)
DELETE FROM daap.jobs AS j
 USING doomed
 WHERE j.id = doomed.id
