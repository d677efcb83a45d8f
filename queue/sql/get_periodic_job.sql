-- $1 name.
SELECT name, schedule, time_zone, kind, payload, queue, priority, max_attempts, enabled,
  (extract(epoch FROM schedule_from) * 1000000)::bigint AS schedule_from_us,
  (extract(epoch FROM last_scheduled_at) * 1000000)::bigint AS last_scheduled_at_us,
  (extract(epoch FROM last_enqueued_at) * 1000000)::bigint AS last_enqueued_at_us,
  last_job_id, last_error,
  (extract(epoch FROM created_at) * 1000000)::bigint AS created_at_us,
  (extract(epoch FROM updated_at) * 1000000)::bigint AS updated_at_us
FROM daap.periodic_jobs
WHERE name = $1
