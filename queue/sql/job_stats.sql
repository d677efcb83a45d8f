-- daap.job_stats with the age in seconds; due and scheduled split the available jobs.
SELECT queue, kind, state, count, due, scheduled,
       extract(epoch FROM oldest_available_age)::float8 AS oldest_available_age_seconds
  FROM daap.job_stats
 ORDER BY queue, kind, state
