-- Jobs that succeeded and failed in each of the last 60 minutes, oldest minute first (minute 0
-- ends now), read through jobs_finished_at_idx.
SELECT m.minute,
       count(j.finished_at) FILTER (WHERE j.state = 'succeeded') AS succeeded,
       count(j.finished_at) FILTER (WHERE j.state = 'failed') AS failed
  FROM generate_series(0, 59) AS m(minute)
  LEFT JOIN daap.jobs AS j
    ON j.state IN ('succeeded', 'failed', 'cancelled')
   AND j.finished_at > now() - interval '1 hour'
   AND j.finished_at <= now() - (59 - m.minute) * interval '1 minute'
   AND j.finished_at > now() - (60 - m.minute) * interval '1 minute'
 GROUP BY m.minute
 ORDER BY m.minute
