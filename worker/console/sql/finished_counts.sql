-- Per queue: jobs that succeeded and failed in the last hour and the last 24 hours (by
-- finished_at), read through jobs_finished_at_idx.
SELECT queue,
       count(*) FILTER (WHERE state = 'succeeded' AND finished_at > now() - interval '1 hour')
         AS succeeded_1h,
       count(*) FILTER (WHERE state = 'failed' AND finished_at > now() - interval '1 hour')
         AS failed_1h,
       count(*) FILTER (WHERE state = 'succeeded') AS succeeded_24h,
       count(*) FILTER (WHERE state = 'failed') AS failed_24h
  FROM daap.jobs
 WHERE state IN ('succeeded', 'failed', 'cancelled')
   AND finished_at > now() - interval '24 hours'
 GROUP BY queue
