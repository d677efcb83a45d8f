-- One row per queue (daap.queues) for admins: its controls and what it holds. due: available
-- and run_at <= now(); scheduled: available, run_at in the future (scheduled or backing off);
-- running: claimed (claimed-ahead ones included); failed_24h: failed in the last 24 hours;
-- oldest_due_age: how long the oldest due job has waited. Each count walks an index of its state
-- restricted to the queue, so it costs what it counts.
CREATE VIEW daap.queue_overview AS
SELECT q.name,
       q.paused_at,
       q.max_running,
       (SELECT count(*) FROM daap.jobs AS j
         WHERE j.state = 'available' AND j.queue = q.name AND j.run_at <= now()) AS due,
       (SELECT count(*) FROM daap.jobs AS j
         WHERE j.state = 'available' AND j.queue = q.name AND j.run_at > now()) AS scheduled,
       (SELECT count(*) FROM daap.jobs AS j
         WHERE j.state = 'running' AND j.queue = q.name) AS running,
       (SELECT count(*) FROM daap.jobs AS j
         WHERE j.state = 'failed' AND j.queue = q.name
           AND j.finished_at > now() - interval '24 hours') AS failed_24h,
       now() - (SELECT min(j.run_at) FROM daap.jobs AS j
                 WHERE j.state = 'available' AND j.queue = q.name AND j.run_at <= now())
         AS oldest_due_age,
       q.created_at,
       q.updated_at
  FROM daap.queues AS q;
