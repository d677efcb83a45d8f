-- $1 queue, $2 max_running (NULL: no limit). daap.set_queue_limit (migration 019).
SELECT name, to_jsonb(paused_at) #>> '{}' AS paused_at, max_running
  FROM daap.set_queue_limit($1, $2::integer)
