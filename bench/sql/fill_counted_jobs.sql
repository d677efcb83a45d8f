-- For the counts benchmark: $1 jobs over 5 queues, in proportions per thousand: $2 succeeded,
-- $3 failed, $4 cancelled, $5 running (leased), $6 scheduled (available, run_at an hour
-- ahead), the rest due (available, run_at up to 10 minutes ago).
INSERT INTO daap.jobs (kind, queue, state, attempt, run_at, started_at, finished_at, locked_by,
                       lease_expires_at)
SELECT 'noop', 'q' || (g % 5),
       CASE WHEN s.kind IN ('due', 'scheduled') THEN 'available' ELSE s.kind END,
       CASE WHEN s.kind IN ('due', 'scheduled') THEN 0 ELSE 1 END,
       CASE WHEN s.kind = 'scheduled' THEN now() + interval '1 hour'
            ELSE now() - (g % 600) * interval '1 second' END,
       CASE WHEN s.kind NOT IN ('due', 'scheduled') THEN now() END,
       CASE WHEN s.kind IN ('succeeded', 'failed', 'cancelled') THEN now() END,
       CASE WHEN s.kind = 'running' THEN 'daap-bench' END,
       CASE WHEN s.kind = 'running' THEN now() + interval '1 hour' END
  FROM generate_series(1, $1::int) AS g,
       LATERAL (SELECT CASE WHEN g % 1000 < $2::int THEN 'succeeded'
                            WHEN g % 1000 < $2::int + $3::int THEN 'failed'
                            WHEN g % 1000 < $2::int + $3::int + $4::int THEN 'cancelled'
                            WHEN g % 1000 < $2::int + $3::int + $4::int + $5::int THEN 'running'
                            WHEN g % 1000 < $2::int + $3::int + $4::int + $5::int + $6::int
                              THEN 'scheduled'
                            ELSE 'due' END AS kind) AS s
