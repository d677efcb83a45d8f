-- For admins: job counts per queue, kind and state, and how long the oldest runnable job has
-- been waiting (oldest_available_age, an interval: now() - run_at of the oldest available job
-- whose run_at has come; NULL on rows of other states and when none is due).
CREATE VIEW daap.job_stats AS
SELECT queue,
       kind,
       state,
       count(*) AS count,
       now() - min(run_at) FILTER (WHERE state = 'available' AND run_at <= now())
         AS oldest_available_age
  FROM daap.jobs
 GROUP BY queue, kind, state;
