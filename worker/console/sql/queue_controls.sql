-- Every queue's controls as they are now (the overview's counts may be a few seconds old; its
-- paused and limit columns never are).
SELECT name, to_jsonb(paused_at) #>> '{}' AS paused_at, max_running
  FROM daap.queues
 ORDER BY name
