-- $1 name, $2 schedule, $3 kind, $4 payload, $5 time_zone, $6 queue, $7 priority,
-- $8 max_attempts, $9 enabled, $10 replace. The new (or replaced) row.
SELECT name, schedule, time_zone, kind, payload, queue, priority, max_attempts, enabled,
  (extract(epoch FROM schedule_from) * 1000000)::bigint AS schedule_from_us,
  (extract(epoch FROM last_scheduled_at) * 1000000)::bigint AS last_scheduled_at_us,
  (extract(epoch FROM last_enqueued_at) * 1000000)::bigint AS last_enqueued_at_us,
  last_job_id, last_error,
  (extract(epoch FROM created_at) * 1000000)::bigint AS created_at_us,
  (extract(epoch FROM updated_at) * 1000000)::bigint AS updated_at_us
FROM daap.add_periodic_job(name => $1, schedule => $2, kind => $3, payload => $4::jsonb,
                           time_zone => $5, queue => $6, priority => $7::integer,
                           max_attempts => $8::integer, enabled => $9::boolean,
                           replace => $10::boolean)
