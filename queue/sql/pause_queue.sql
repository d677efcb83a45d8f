-- $1 queue. daap.pause_queue (migration 019): no replica claims from it until resumed.
SELECT name, to_jsonb(paused_at) #>> '{}' AS paused_at, max_running FROM daap.pause_queue($1)
