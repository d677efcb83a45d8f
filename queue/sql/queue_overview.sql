-- daap.queue_overview (migration 024) with times as text and the age in seconds.
SELECT name, to_jsonb(paused_at) #>> '{}' AS paused_at, max_running, due, scheduled, running,
       failed_24h, extract(epoch FROM oldest_due_age)::float8 AS oldest_due_age_seconds
  FROM daap.queue_overview
 ORDER BY name
