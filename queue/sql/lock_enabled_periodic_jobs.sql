-- Every enabled periodic job, locked until the maintenance pass commits (one an admin holds
-- is left for the next pass), with the time its schedule counts from (the later of
-- schedule_from and the last run enqueued) and the transaction's time.
SELECT name, schedule, time_zone, last_error,
  (extract(epoch FROM greatest(schedule_from, last_scheduled_at)) * 1000000)::bigint AS from_us,
  (extract(epoch FROM now()) * 1000000)::bigint AS now_us
FROM daap.periodic_jobs
WHERE enabled
ORDER BY name
FOR UPDATE SKIP LOCKED
