-- The live jobs per queue for /metrics, through the partial indexes on available and running
-- jobs (jobs_claim_idx, jobs_lease_expires_at_idx): the cost follows the jobs waiting and
-- running, not the finished ones retained beside them. `available` is split by run_at: `due`
-- (waiting now, the backlog) and `scheduled` (run_at still ahead: a delayed job or a retry's
-- backoff). For each group, the age of its earliest run_at in seconds (the caller uses the due
-- group's). Run after prefer_index_plans.
SELECT queue, state, count, earliest_run_at_age_seconds
  FROM (SELECT queue,
               CASE WHEN run_at <= now() THEN 'due' ELSE 'scheduled' END AS state,
               count(*) AS count,
               extract(epoch FROM now() - min(run_at))::float8 AS earliest_run_at_age_seconds
          FROM daap.jobs
         WHERE state = 'available'
         GROUP BY 1, 2
        UNION ALL
        SELECT queue, 'running', count(*), NULL
          FROM daap.jobs
         WHERE state = 'running'
           AND lease_expires_at IS NOT NULL
         GROUP BY 1) AS live
 ORDER BY queue, state
