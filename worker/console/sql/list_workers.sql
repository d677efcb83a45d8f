-- $1 the maintenance lease's name. Live replicas (daap.workers) with how many jobs each holds
-- running, whether it holds that lease (daap.leaders) now, and its heartbeat age in seconds.
SELECT w.id, w.hostname, w.version, array_to_json(w.queues)::text AS queues, w.concurrency,
       extract(epoch FROM now() - w.heartbeat_at)::float8 AS heartbeat_age_seconds,
       (SELECT count(*) FROM daap.jobs AS j
         WHERE j.state = 'running' AND j.locked_by = w.id) AS running,
       EXISTS (SELECT 1 FROM daap.leaders AS l
                WHERE l.name = $1 AND l.holder = w.id AND l.expires_at > now())
         AS leader
  FROM daap.workers AS w
 ORDER BY w.id
