-- All registered workers, timestamps as RFC 3339 text.
SELECT id, hostname, pid, version, array_to_json(queues)::text AS queues, concurrency,
       to_jsonb(started_at) #>> '{}' AS started_at,
       to_jsonb(heartbeat_at) #>> '{}' AS heartbeat_at
  FROM daap.workers
 ORDER BY id
