-- $1 queue. daap.resume_queue (migration 019): claimed again; idle workers are woken.
SELECT name, to_jsonb(paused_at) #>> '{}' AS paused_at, max_running FROM daap.resume_queue($1)
