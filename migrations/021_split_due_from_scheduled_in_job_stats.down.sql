-- A view's columns cannot be dropped in place: the view of migration 007 again.
DROP VIEW daap.job_stats;
CREATE VIEW daap.job_stats AS
SELECT queue,
       kind,
       state,
       count(*) AS count,
       now() - min(run_at) FILTER (WHERE state = 'available' AND run_at <= now())
         AS oldest_available_age
  FROM daap.jobs
 GROUP BY queue, kind, state;
