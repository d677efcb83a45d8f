-- A job that waits for its run_at (scheduled, or backing off before a retry) is not backlog:
-- daap.job_stats now counts due and scheduled jobs apart. count stays the total per queue, kind
-- and state, for readers that already use it; due and scheduled split the available ones (both
-- 0 on rows of other states).
CREATE OR REPLACE VIEW daap.job_stats AS
SELECT queue,
       kind,
       state,
       count(*) AS count,
       now() - min(run_at) FILTER (WHERE state = 'available' AND run_at <= now())
         AS oldest_available_age,
       count(*) FILTER (WHERE state = 'available' AND run_at <= now()) AS due,
       count(*) FILTER (WHERE state = 'available' AND run_at > now()) AS scheduled
  FROM daap.jobs
 GROUP BY queue, kind, state;
