-- $1 id, $2 hostname, $3 pid, $4 version, $5 queues (text[]), $6 concurrency.
INSERT INTO daap.workers (id, hostname, pid, version, queues, concurrency)
VALUES ($1, $2, $3, $4, $5::text[], $6)
ON CONFLICT (id) DO UPDATE
   SET hostname = EXCLUDED.hostname,
       pid = EXCLUDED.pid,
       version = EXCLUDED.version,
       queues = EXCLUDED.queues,
       concurrency = EXCLUDED.concurrency,
       heartbeat_at = now()
