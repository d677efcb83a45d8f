-- $1 the name the previous page ended with (NULL: the first page), $2 how many. By name, with
-- the database's time for their next runs.
SELECT name, schedule, time_zone, kind, payload, queue, priority, max_attempts, enabled,
  (extract(epoch FROM schedule_from) * 1000000)::bigint AS schedule_from_us,
  (extract(epoch FROM last_scheduled_at) * 1000000)::bigint AS last_scheduled_at_us,
  (extract(epoch FROM last_enqueued_at) * 1000000)::bigint AS last_enqueued_at_us,
  last_job_id, last_error,
  (extract(epoch FROM created_at) * 1000000)::bigint AS created_at_us,
  (extract(epoch FROM updated_at) * 1000000)::bigint AS updated_at_us,
  (extract(epoch FROM now()) * 1000000)::bigint AS now_us
FROM daap.periodic_jobs
WHERE $1::text IS NULL OR name > $1
ORDER BY name
LIMIT $2
