-- For the counts benchmark only: the /metrics count query as it was before it split into
-- count_live_jobs and count_finished_jobs (one scan of every row), to measure against.
-- Jobs per queue and state for /metrics. `available` is split by run_at: `due` (waiting now,
-- the backlog) and `scheduled` (run_at still ahead: a delayed job or a retry's backoff). For
-- each group, the age of its earliest run_at in seconds (the caller uses the due group's).
SELECT queue, state, count(*) AS count,
       extract(epoch FROM now() - min(run_at))::float8 AS earliest_run_at_age_seconds
  FROM (SELECT queue,
               CASE WHEN state <> 'available' THEN state
                    WHEN run_at <= now() THEN 'due'
                    ELSE 'scheduled' END AS state,
               run_at
          FROM daap.jobs) AS j
 GROUP BY queue, state
 ORDER BY queue, state
